"""`python -m zoo.demo --wav FILE [--model NAME] [--quantize MODE | --keras] [--plot PNG]`"""

import sys

from zoo.demo import main

if __name__ == "__main__":
    from zoo import quiet

    restore = quiet.filter_stderr()  # TensorFlow's native log lines, as `zoo` hides them
    try:
        code = main()
    finally:
        restore()
    sys.exit(code)
