"""Checksums and the one download path of the zoo.

    zoo.hub.fetch("https://example.org/data.tar.gz", "data/data.tar.gz",
                  sha256="9f86d0...")

Nothing in the zoo downloads at import or load time: pretrained models ship
inside the package (`zoo/pretrained/`) or live in `$ZOO_HOME`. `fetch` is
for the places where a user expects a download (a training script fetching
its data set), and it only ever writes a file whose SHA-256 it was told in
advance: the file appears at `dest` complete and verified, or not at all.

This module imports only the standard library (`urllib.request` and tqdm only
when fetching: `zoo list` loads neither).
"""

from __future__ import annotations

import hashlib
import os
import re
import urllib.parse
from pathlib import Path

CHUNK = 1 << 20
SCHEMES = ("http", "https", "file")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class ChecksumError(ValueError):
    """A file is missing, or its SHA-256 differs from the recorded one; the
    message names the file and how to fix it."""


def sha256_file(path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_digest(sha256):
    if not isinstance(sha256, str) or not _HEX64.match(sha256.strip().lower()):
        raise ValueError(f"`sha256` must be 64 hex digits (the expected SHA-256 of the file); "
                         f"got {sha256!r}")
    return sha256.strip().lower()


def fetch(url: str, dest, sha256: str, *, progress: bool | None = None, timeout: float = 60.0):
    """Download `url` to `dest` and verify its SHA-256; returns `Path(dest)`.

    * `url`: an `http://`, `https://` or `file://` URL.
    * `dest`: the file to write; its directory is created. The data is
      streamed into a temporary file beside it and renamed only once the
      checksum matches (`zoo.files.atomic_path`), so `dest` is never
      half-written and a failed or tampered download leaves it untouched.
    * `sha256`: the expected hex digest (required: the zoo never trusts a
      download it cannot verify).
    * `progress`: show a tqdm progress bar (default: only on a terminal).

    If `dest` already exists with the right checksum nothing is downloaded.
    Raises `ChecksumError` on a digest mismatch, `ValueError` for a bad
    URL or digest, and `OSError` (`urllib.error.URLError`) when the source
    cannot be read.
    """
    import urllib.request  # 40 ms (http, ssl, email): not for `import zoo.registry`

    from zoo.files import atomic_path

    expected = _check_digest(sha256)
    scheme = urllib.parse.urlsplit(str(url)).scheme.lower()
    if scheme not in SCHEMES:
        raise ValueError(f"cannot fetch {url!r}: the URL scheme must be one of "
                         f"{', '.join(s + '://' for s in SCHEMES)}")
    dest = Path(dest)
    if dest.is_file() and sha256_file(dest) == expected:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)

    from tqdm.auto import tqdm

    digest = hashlib.sha256()
    with atomic_path(dest) as tmp:
        request = urllib.request.Request(str(url), headers={"User-Agent": "attention-rnn-zoo"})
        with urllib.request.urlopen(request, timeout=timeout) as response, open(tmp, "wb") as out:
            total = response.headers.get("Content-Length")
            bar = tqdm(total=int(total) if total and total.isdigit() else None, unit="B",
                       unit_scale=True, unit_divisor=1024, desc=dest.name, leave=False,
                       disable=(None if progress is None else not progress))
            with bar:
                for block in iter(lambda: response.read(CHUNK), b""):
                    out.write(block)
                    digest.update(block)
                    bar.update(len(block))
                out.flush()
                os.fsync(out.fileno())
        got = digest.hexdigest()
        if got != expected:
            raise ChecksumError(
                f"download of {url} does not match its SHA-256 (expected {expected}, got "
                f"{got}); {str(dest)!r} was not written. Fix: check the URL and the expected "
                "checksum, or retry if the transfer was interrupted")
    return dest


__all__ = ["ChecksumError", "fetch", "sha256_file"]
