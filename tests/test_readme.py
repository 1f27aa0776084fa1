"""Every code block and command of README.md runs as written.

From README.md this collects:

* each ```python block: run as a script in a subprocess from the repository root;
* each command of a ```sh / ```bash / ```console / ```shell block (in console
  blocks, the lines starting with `$ `): `zoo ...` through `python -m zoo.cli`,
  anything else through bash;
* in other blocks, `$ zoo ...` lines and `>>> ` lines: run, and the README line
  that follows (the output it shows: `error: ...` / `ValueError: ...`) must be
  what they print.

A snippet that needs data or a long run is skipped by the table `SKIP`, keyed by
its first line, with the reason; any other snippet, including a new one, must run.
Files a snippet writes in the repository root (`model.tflite`, an exported
`NAME.int8.tflite`) are removed afterwards; the files the README's examples
name (`FILES`) are created for them.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TIMEOUT_S = 300

#: First line of a snippet -> why the test suite does not run it.
SKIP = {
    "make demo   # creates .venv; attention weights of a tiny seq2seq trained in seconds; then loads the":
        "creates the virtual environment, trains a seq2seq and exports (minutes); `make demo` is "
        "its own check",
    "make test   # creates .venv (+ .venv-tflite-runtime), runs the test suite on TensorFlow, then the layers on JAX":
        "runs the whole test suite (this test is part of it)",
}

#: Files the README's examples name, created in the repository root while they run.
FILES = {"notes.txt": "meeting notes: not audio\n"}

#: What a `>>> ` line of the README runs after.
PYTHON_PREAMBLE = "import numpy as np\nimport zoo\n"

SHELL_LANGS = ("sh", "bash", "console", "shell")


def snippets(text):
    """`(kind, first line, code, expected output or None)` of README.md (see module doc)."""
    out = []
    for match in re.finditer(r"^```([\w-]*)\n(.*?)^```", text, re.S | re.M):
        lang, body = match.group(1), match.group(2)
        lines = body.splitlines()
        if lang == "python":
            out.append(("python", lines[0].strip(), body, None))
        elif lang in SHELL_LANGS:
            for line in lines:
                command = line[2:] if line.startswith("$ ") else (None if lang == "console"
                                                                  else line)
                if command and command.strip() and not command.lstrip().startswith("#"):
                    out.append(("shell", command.strip(), command.strip(), None))
        else:
            for i, line in enumerate(lines):
                following = lines[i + 1] if i + 1 < len(lines) else ""
                shown = (following if following and not following.startswith(("$ ", ">>> "))
                         else None)
                if line.startswith("$ zoo"):
                    out.append(("shell", line[2:].strip(), line[2:].strip(), shown))
                elif line.startswith(">>> "):
                    out.append(("python", line[4:].strip(), PYTHON_PREAMBLE + line[4:], shown))
    return out


SNIPPETS = snippets(README.read_text(encoding="utf-8"))


def _argv(command):
    words = shlex.split(command, comments=True)
    if words[0] == "zoo":
        return [sys.executable, "-m", "zoo.cli", *words[1:]]
    return ["bash", "-c", command]


@pytest.fixture
def repo_root():
    """The repository root as the snippets' working directory: `FILES` created, and
    whatever a snippet writes there removed afterwards."""
    before = set(os.listdir(ROOT))
    made = []
    for name, content in FILES.items():
        if not (ROOT / name).exists():
            (ROOT / name).write_text(content)
            made.append(name)
    try:
        yield ROOT
    finally:
        for name in set(os.listdir(ROOT)) - before:
            path = ROOT / name
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()


def _run(kind, code, cwd):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": "400"}
    argv = [sys.executable, "-c", code] if kind == "python" else _argv(code)
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT_S)


def _squash(text):
    return " ".join(text.split())


def test_readme_has_snippets():
    kinds = {kind for kind, *_ in SNIPPETS}
    assert kinds == {"python", "shell"}, kinds
    assert len(SNIPPETS) >= 8
    stale = set(SKIP) - {first for _, first, *_ in SNIPPETS}
    assert not stale, f"SKIP names snippets the README no longer has: {stale}"


@pytest.mark.parametrize("kind, first, code, shown", SNIPPETS,
                         ids=[f"{k}:{f[:50]}" for k, f, *_ in SNIPPETS])
def test_readme_snippet_runs(kind, first, code, shown, repo_root):
    if first in SKIP:
        pytest.skip(SKIP[first])
    result = _run(kind, code, repo_root)
    output = result.stdout + result.stderr
    if shown is None:
        assert result.returncode == 0, f"README snippet failed:\n{code}\n---\n{output[-3000:]}"
        return
    assert result.returncode != 0, f"README shows an error for:\n{code}\nbut it ran:\n{output}"
    if kind == "shell":
        assert result.returncode == 2, output
    assert _squash(shown) in _squash(output), f"README shows:\n{shown}\ngot:\n{output[-3000:]}"
