"""Writing files so that no half-written artifact is ever visible."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def check_output_path(path):
    """`Path(path)` after checking that its directory exists and is writable
    (`FileNotFoundError` / `PermissionError` naming the directory otherwise);
    call it before slow work whose result goes to `path`."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"output directory {str(parent)!r} does not exist; create it first")
    if not os.access(parent, os.W_OK):
        raise PermissionError(f"output directory {str(parent)!r} is not writable")
    if path.is_dir():
        raise IsADirectoryError(f"output path {str(path)!r} is a directory; give a file name")
    return path


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; on success it is renamed to `path`.

    On any exception the temporary file is removed and `path` is untouched.
    The parent directory must exist and be writable (a `FileNotFoundError` /
    `PermissionError` naming it is raised otherwise).
    """
    path = check_output_path(path)
    parent = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=parent)
    os.close(fd)
    try:
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path, data: bytes):
    """Write `data` to `path` atomically (temporary file + rename)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    return Path(path)
