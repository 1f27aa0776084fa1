"""Recordings reserved for evaluation: never read them for training data.

The English asterisk prompts (`asterisk-core-sounds-en-*`, every codec, the
"Allison" voice under ``/usr/share/asterisk/sounds/en*``) and the spoken ALSA
channel names of `alsa-utils` (``/usr/share/sounds/alsa``) are the only real English
speech that installs offline. A real-audio benchmark reports on them, so they must
stay out of training, augmentation, threshold and model choice. Every reader of
training data in `zoo.data.speech_commands` passes its paths through
`check_not_reserved`.

    is_reserved("/usr/share/sounds/alsa/Front_Left.wav")      # True
    check_not_reserved(paths)                                  # raises ReservedDataError
"""

from __future__ import annotations

import os
from pathlib import Path

ASTERISK_SOUNDS = "/usr/share/asterisk/sounds"
ALSA_SOUNDS = "/usr/share/sounds/alsa"
# The English prompt folders: en, en_US, en_US_f_Allison, en_GB..., and the package docs.
RESERVED_PACKAGES = ("asterisk-core-sounds-en-* (wav, g722, gsm, ...)", "alsa-utils (/usr/share/sounds/alsa)")


class ReservedDataError(ValueError):
    """A path of the evaluation-only recordings was about to be used for training."""


def _is_reserved_one(p: str) -> bool:
    parts = Path(p).parts
    ast = Path(ASTERISK_SOUNDS).parts
    if parts[:len(ast)] == ast and len(parts) > len(ast) and parts[len(ast)].lower().startswith("en"):
        return True
    alsa = Path(ALSA_SOUNDS).parts
    if parts[:len(alsa)] == alsa:
        return True
    docs = Path("/usr/share/doc").parts
    return parts[:len(docs)] == docs and len(parts) > len(docs) and (
        parts[len(docs)].startswith("asterisk-core-sounds-en"))


def is_reserved(path) -> bool:
    """Whether `path` (or what it links to) is one of the evaluation-only recordings."""
    p = os.path.abspath(os.fspath(path))
    if _is_reserved_one(p):
        return True
    try:
        real = os.path.realpath(p)
    except OSError:
        return False
    return real != p and _is_reserved_one(real)


def check_not_reserved(paths, *, what: str = "training data"):
    """Raise `ReservedDataError` if any of `paths` is reserved for evaluation; else return None."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    bad = [os.fspath(p) for p in paths if is_reserved(p)]
    if bad:
        more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
        raise ReservedDataError(
            f"{', '.join(bad[:3])}{more}: reserved for evaluation, not for {what}. The recordings of "
            f"{' and '.join(RESERVED_PACKAGES)} are the real-audio benchmark's test set; "
            "train on the text-to-speech engines and the non-English asterisk prompts instead")
