"""Writing files so that no half-written artifact is ever visible, and scratch
folders that do not outlive the export that made them."""

from __future__ import annotations

import atexit
import contextlib
import errno
import os
import shutil
import signal
import stat
import tempfile
import threading
from pathlib import Path


class OutputPathError(OSError):
    """An output path that must not be written: one of the command's own inputs, a
    directory, or something that is not a regular file (a FIFO, a device)."""


def _same_file(a: Path, b) -> bool:
    b = Path(b)
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def check_input_file(path, what="input file"):
    """`Path(path)` after checking that it is an existing regular file:
    `IsADirectoryError` ("is a directory") / `FileNotFoundError` ("does not exist")
    naming `what` and the path otherwise."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{what} {str(path)!r} is a directory; give a file")
    if not path.is_file():
        if path.exists():
            raise FileNotFoundError(f"{what} {str(path)!r} is not a regular file")
        raise FileNotFoundError(f"{what} {str(path)!r} does not exist")
    return path


def check_output_path(path, inputs=(), what="output path"):
    """`Path(path)` after checking that it can be written safely, before slow work
    whose result goes there. Raises (each message names the path and the fix):

    * `FileNotFoundError` / `PermissionError`: its directory is missing / not writable;
    * `IsADirectoryError`: the path is a directory;
    * `OutputPathError` (an `OSError`): the path exists and is not a regular file
      (a FIFO, a device, a socket), or it is the same file as one of `inputs` (the
      files the command reads: writing would clobber them).
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise IsADirectoryError(f"{what} {str(path)!r} is a directory; give a file name")
    if not parent.is_dir():
        if parent.exists():
            raise NotADirectoryError(f"{what} {str(path)!r}: {str(parent)!r} is not a directory")
        raise FileNotFoundError(f"output directory {str(parent)!r} does not exist; create it first")
    if not os.access(parent, os.W_OK):
        raise PermissionError(f"output directory {str(parent)!r} is not writable")
    if os.path.lexists(path):
        mode = os.stat(path).st_mode if path.exists() else os.lstat(path).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a character device" if stat.S_ISCHR(mode)
                    else "a block device" if stat.S_ISBLK(mode) else "a socket"
                    if stat.S_ISSOCK(mode) else "a dangling link" if not path.exists()
                    else "not a regular file")
            raise OutputPathError(f"{what} {str(path)!r} is {kind}, not a regular file; "
                                  "give a new or regular file name")
    for source in inputs:
        if source is not None and _same_file(path, source):
            raise OutputPathError(f"{what} {str(path)!r} is the same file as the input "
                                  f"{str(source)!r}; writing it would destroy that input, so "
                                  "give another file name")
    return path


class WriteError(OSError):
    """Writing an output failed (disk full, permissions, ...); nothing was written."""

    def __str__(self):
        return self.strerror or super().__str__()


@contextlib.contextmanager
def atomic_path(path, inputs=()):
    """Yield a temporary path beside `path`; on success it is renamed to `path`.

    On any exception the temporary file is removed and `path` is untouched; an
    `OSError` while writing (disk full, permissions) becomes a one-line `WriteError`
    naming `path`. `path` is checked first with `check_output_path(path, inputs)`.
    """
    path = check_output_path(path, inputs)
    parent = path.parent
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=parent)
        os.close(fd)
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, (OutputPathError, WriteError)):
            raise _write_error(path, exc) from None
        raise


def _write_error(path, exc: OSError) -> "WriteError":
    reason = {errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded",
              errno.EACCES: "permission denied", errno.EROFS: "read-only file system",
              errno.EPERM: "operation not permitted"}.get(exc.errno) or exc.strerror or str(exc)
    return WriteError(exc.errno, f"cannot write {str(path)!r}: {reason}; nothing was written "
                                 "(free some space or choose another location)")


def atomic_write_bytes(path, data: bytes, inputs=()):
    """Write `data` to `path` atomically (temporary file + rename)."""
    with atomic_path(path, inputs) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    return Path(path)


# ------------------------------------------------------------- scratch folders

_scratch: set = set()
_scratch_lock = threading.RLock()
_handlers_installed = False


def _remove_scratch():
    with _scratch_lock:
        for d in list(_scratch):
            shutil.rmtree(d, ignore_errors=True)
            _scratch.discard(d)


def _on_sigterm(signum, frame):
    _remove_scratch()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_handlers():
    """atexit always; SIGTERM only from the main thread and only where nobody else
    handles it (the default action would kill us without cleaning up)."""
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(_remove_scratch)
    if threading.current_thread() is threading.main_thread():
        with contextlib.suppress(ValueError, OSError):
            if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
                signal.signal(signal.SIGTERM, _on_sigterm)


@contextlib.contextmanager
def scratch_directory(prefix="zoo-export-"):
    """A private temporary folder, removed when the block ends (also on errors, at
    exit, and on SIGTERM). While the block runs, `tempfile`'s default folder is
    this one, so whatever TensorFlow writes to a temporary folder (SavedModels,
    converter files) goes inside it and is removed with it."""
    _install_handlers()
    path = tempfile.mkdtemp(prefix=prefix)
    with _scratch_lock:
        _scratch.add(path)
    previous = tempfile.tempdir
    tempfile.tempdir = path
    try:
        yield Path(path)
    finally:
        tempfile.tempdir = previous
        shutil.rmtree(path, ignore_errors=True)
        with _scratch_lock:
            _scratch.discard(path)
