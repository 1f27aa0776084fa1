"""`python -m zoo.demo --wav FILE [--model NAME] [--quantize MODE | --keras] [--plot PNG]`"""

import sys

from zoo.demo import main

if __name__ == "__main__":
    sys.exit(main())
