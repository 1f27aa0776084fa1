"""`python -m zoo.demo --wav FILE [--model NAME] [--quantize MODE | --keras] [--plot PNG]`"""

import sys

from zoo.demo import main

if __name__ == "__main__":
    from zoo import quiet

    sys.exit(quiet.run_quietly(main))  # TensorFlow's native log lines hidden, as `zoo` does
