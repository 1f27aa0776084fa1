"""Software message catalogues (GNU gettext `.mo` files): the English message
ids and their German translations, as user-interface text (`domain="ui"`).

    pairs = list(libreoffice_ui_pairs())   # libreoffice-l10n-de
    pairs = list(system_ui_pairs())        # /usr/share/locale/de/LC_MESSAGES/*.mo

`read_mo` parses the binary format itself (standard library `struct`; the
layout is the one GNU gettext documents: magic 0x950412de, revision, count,
offsets of the original and translated string tables). A message context
(`msgctxt`, stored as "context\\x04id") is dropped; of a plural entry
("id\\x00plural") the singular is kept. Messages laid out in lines (a blank
or an indented line: usage texts, option tables) are dropped; a sentence
merely wrapped at line ends is joined. Entries are kept only when they pass
`clean.accept`: that drops placeholders (%s, %1, {0}, $(ARG1), <b>), menu
accelerators (~, _, &), paths, URLs, file names, command-line options,
untranslated entries, and texts outside 4-40 English words.

Which catalogues `/usr/share/locale/de` holds depends on the packages
installed on the machine; `system_catalogues()` lists them and the build
records the list.
"""

from __future__ import annotations

import struct
from pathlib import Path

from zoo.data.en_de.clean import MAX_WORDS, MIN_WORDS, accept, tidy

DEFAULT_LIBREOFFICE = "/usr/lib/libreoffice/program/resource/de/LC_MESSAGES"
DEFAULT_SYSTEM = "/usr/share/locale/de/LC_MESSAGES"
DOMAIN = "ui"
_MAGIC = {0x950412DE: "<", 0xDE120495: ">"}


def read_mo(path):
    """`[(msgid, msgstr), ...]` of a `.mo` file in file order, as text (the header's
    charset, UTF-8 when it names none); the header entry (empty msgid) is left out.
    `ValueError` when the file is no `.mo` catalogue."""
    data = Path(path).read_bytes()
    if len(data) < 20:
        raise ValueError(f"{path} is too short for a .mo catalogue")
    order = _MAGIC.get(struct.unpack("<I", data[:4])[0])
    if order is None:
        raise ValueError(f"{path} is no GNU .mo catalogue (bad magic number)")
    _, count, originals, translations = struct.unpack(order + "4I", data[4:20])

    def string(table, i):
        length, offset = struct.unpack(order + "2I", data[table + 8 * i: table + 8 * i + 8])
        return data[offset: offset + length]

    raw = [(string(originals, i), string(translations, i)) for i in range(count)]
    charset = "utf-8"
    for msgid, msgstr in raw:
        if msgid == b"":
            for line in msgstr.decode("ascii", "replace").splitlines():
                if line.lower().startswith("content-type:") and "charset=" in line:
                    charset = line.split("charset=", 1)[1].strip() or charset
    try:
        "".encode(charset)
    except LookupError:
        charset = "utf-8"
    return [(msgid.decode(charset, "replace"), msgstr.decode(charset, "replace"))
            for msgid, msgstr in raw if msgid]


def message_pair(msgid, msgstr):
    """`(english, german)` of one catalogue entry, tidied (a sentence wrapped over lines
    joined): context dropped, singular of a plural entry; None when untranslated or laid
    out in lines (blank or indented lines: usage texts, option tables)."""
    english = msgid.split("\x04", 1)[-1].split("\x00", 1)[0]
    german = msgstr.split("\x00", 1)[0]
    if not german.strip():
        return None
    if _layout(english) or _layout(german):
        return None  # usage texts and tables are no UI sentences
    return tidy(english), tidy(german)


def _layout(text):
    """Whether a message is laid out in lines: a blank line, or an indented line (usage
    texts, option tables). A sentence merely wrapped at line ends is not."""
    lines = text.strip("\n").split("\n")
    return any(not line.strip() for line in lines) or any(line[:1].isspace() for line in lines)


def mo_pairs(paths, min_words=MIN_WORDS, max_words=MAX_WORDS):
    """`(english, german, "ui")` of the `.mo` files `paths` (module doc)."""
    for path in paths:
        for msgid, msgstr in read_mo(path):
            pair = message_pair(msgid, msgstr)
            if pair and accept(*pair, min_words, max_words):
                yield pair[0], pair[1], DOMAIN


def _catalogues(directory, fix):
    directory = Path(directory)
    files = sorted(directory.glob("*.mo")) if directory.is_dir() else []
    if not files:
        raise FileNotFoundError(f"no German .mo catalogues in {directory}: {fix}")
    return files


def libreoffice_catalogues(directory=DEFAULT_LIBREOFFICE):
    """The German LibreOffice UI catalogues (package `libreoffice-l10n-de`)."""
    return _catalogues(directory, "install the Debian package "
                                  "(`apt-get install libreoffice-l10n-de`)")


def system_catalogues(directory=DEFAULT_SYSTEM):
    """The German catalogues of the installed programs (coreutils, apt, gtk, ...)."""
    return _catalogues(directory, "the installed programs ship none here (container images "
                                  "often leave /usr/share/locale out: see "
                                  "/etc/dpkg/dpkg.cfg.d/); build without the system-ui source "
                                  "(--sources)")


def libreoffice_ui_pairs(directory=DEFAULT_LIBREOFFICE, min_words=MIN_WORDS,
                         max_words=MAX_WORDS):
    """`(english, german, "ui")` of the LibreOffice user interface (`libreoffice-l10n-de`)."""
    return mo_pairs(libreoffice_catalogues(directory), min_words, max_words)


def system_ui_pairs(directory=DEFAULT_SYSTEM, min_words=MIN_WORDS, max_words=MAX_WORDS):
    """`(english, german, "ui")` of the German program messages in `directory`."""
    return mo_pairs(system_catalogues(directory), min_words, max_words)


__all__ = ["DEFAULT_LIBREOFFICE", "DEFAULT_SYSTEM", "libreoffice_catalogues",
           "libreoffice_ui_pairs", "message_pair", "mo_pairs", "read_mo", "system_catalogues",
           "system_ui_pairs"]
