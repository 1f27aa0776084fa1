"""The Debian Reference (packages `debian-reference-en` and `debian-reference-de`):
the same HTML chapters in English and German (translated with po4a, so the
paragraph structure is the same), as documentation text.

    pairs = list(debian_reference_pairs())   # [(english, german, "documentation"), ...]

Each chapter `/usr/share/debian-reference/<name>.<lang>.html` is cut at its
section anchors (`<a id="_the_shell_prompt">`); inside a section present in
both languages with the same number of `<p>` paragraphs, paragraph i pairs
with paragraph i, and then sentences as in the LibreOffice help
(`libreoffice_help.align`). Sections whose paragraph counts differ are
skipped. Command lines, file names and paths are dropped by `clean.accept`.
"""

from __future__ import annotations

import re
from pathlib import Path

from zoo.data.en_de.clean import MAX_WORDS, MIN_WORDS, accept
from zoo.data.en_de.libreoffice_help import align, visible_text

DEFAULT_ROOT = "/usr/share/debian-reference"
DOMAIN = "documentation"
PACKAGES = ("debian-reference-en", "debian-reference-de")

_SECTION = re.compile(r'<a id="(_[^"]+)"')
_P = re.compile(r"<p>(.*?)</p>", re.S)


def sections(page):
    """`{anchor: [paragraph text, ...]}` of one chapter's HTML (text before the first
    anchor under "")."""
    parts = _SECTION.split(page)
    out = {"": parts[0]}
    out.update(zip(parts[1::2], parts[2::2]))
    return {name: [visible_text(p) for p in _P.findall(body)] for name, body in out.items()}


def chapter_pairs(english_page, german_page):
    """The aligned `(english, german)` texts of one chapter in both languages."""
    german = sections(german_page)
    pairs = []
    for name, english in sections(english_page).items():
        if len(german.get(name, ())) == len(english):
            for e, g in zip(english, german[name]):
                if e and g:
                    pairs.extend(align(e, g))
    return pairs


def chapters(root=DEFAULT_ROOT):
    """`[(english path, german path), ...]` of the chapters present in both languages."""
    root = Path(root)
    english = sorted(root.glob("*.en.html")) if root.is_dir() else []
    german = sorted(root.glob("*.de.html")) if root.is_dir() else []
    missing = [p for files, p in ((english, PACKAGES[0]), (german, PACKAGES[1])) if not files]
    if missing:
        raise FileNotFoundError(f"Debian Reference not found under {root}: install the Debian "
                                f"package(s) (`apt-get install {' '.join(missing)}`)")
    return [(p, p.with_name(p.name.replace(".en.html", ".de.html"))) for p in english
            if p.with_name(p.name.replace(".en.html", ".de.html")).is_file()]


def debian_reference_pairs(root=DEFAULT_ROOT, min_words=MIN_WORDS, max_words=MAX_WORDS):
    """`(english, german, "documentation")` of the Debian Reference (module doc)."""
    for en_path, de_path in chapters(root):
        for english, german in chapter_pairs(en_path.read_text(encoding="utf-8"),
                                             de_path.read_text(encoding="utf-8")):
            if accept(english, german, min_words, max_words):
                yield english, german, DOMAIN


__all__ = ["DEFAULT_ROOT", "PACKAGES", "chapter_pairs", "chapters", "debian_reference_pairs",
           "sections"]
