"""Hide the native log lines of TensorFlow, absl, oneDNN, XNNPACK and CUDA on stderr.

    restore = quiet.filter_stderr()   # what `zoo` does unless --verbose
    ...                               # import tensorflow, convert, run LiteRT
    restore()

In TensorFlow 2.21, `TF_CPP_MIN_LOG_LEVEL` does not hide the lines that its C++
code writes before `absl::InitializeLog()` is called (`I0000 ... port.cc] oneDNN
custom operations are on`, `cudart_stub.cc] Could not find cuda drivers`,
`cpu_feature_guard.cc] This TensorFlow binary is optimized ...`), nor LiteRT's
`INFO: Created TensorFlow Lite XNNPACK delegate for CPU.`: they are written
straight to file descriptor 2. So `filter_stderr` points descriptor 2 at a pipe
and a thread copies every line to the real stderr unless it is one of those
(`is_noise`). Everything else, our own error messages and Python warnings
included, passes unchanged.

Standard library only.
"""

from __future__ import annotations

import os
import re
import sys
import threading

#: Lines written by native libraries (or absl's Python logging) that a user of
#: `zoo` does not need; `zoo --verbose` shows them.
NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|WARNING: Logging before InitGoogleLogging\(\)"
    r"|[IWE]\d{4} [\d:.]+\s+\d+ [\w./-]+:\d+\] "           # absl / glog: I0000 00:00:... x.cc:12]
    r"|To enable the following instructions: .*rebuild TensorFlow"
    r"|INFO: (Created|Initialized) TensorFlow Lite"
    r"|(INFO|WARNING):absl:"
    r")")


def is_noise(line: str) -> bool:
    """Whether one stderr line is native library noise (see `NOISE`)."""
    return NOISE.match(line) is not None


def filter_stderr():
    """Filter file descriptor 2 (see the module docstring) until the returned
    function is called; it restores descriptor 2 and flushes what is pending."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    real = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    def pump():
        with open(read_end, "rb") as source:
            for line in source:
                if not is_noise(line.decode("utf-8", "replace")):
                    try:
                        os.write(real, line)
                    except OSError:
                        return

    thread = threading.Thread(target=pump, name="zoo-stderr-filter", daemon=True)
    thread.start()
    done = []

    def restore():
        if done:
            return
        done.append(True)
        try:
            sys.stderr.flush()
        except (AttributeError, OSError, ValueError):
            pass
        os.dup2(real, 2)  # closes the pipe's last write end held by this process
        thread.join(timeout=5.0)  # a child process may still hold it: do not wait forever
        if not thread.is_alive():
            os.close(real)

    return restore


def run_quietly(main, *args):
    """`main(*args)` with the filter on (the `python -m` entry points of the demos)."""
    restore = filter_stderr()
    try:
        return main(*args)
    finally:
        restore()


__all__ = ["NOISE", "filter_stderr", "is_noise", "run_quietly"]
