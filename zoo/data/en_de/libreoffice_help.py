"""LibreOffice help (packages `libreoffice-help-en-us` and `libreoffice-help-de`):
the same help pages in English and German, aligned by paragraph id.

    pairs = list(libreoffice_help_pairs())   # [(english, german, "documentation"), ...]

Each page `/usr/share/libreoffice/help/<lang>/text/**/*.html` marks its
paragraphs and headings with ids that the translation keeps
(`<p id="par_id3149821" class="listitem">`, `<h2 id="hd_id1116...">`), so a
paragraph is paired with the German paragraph of the same id on the page of
the same path. Code paragraphs (classes holding "code") and "Related Topics"
lines are skipped; of the operating-system variants of a phrase (`<span
hidden="true" id="MAC...">Command</span><span hidden="true"
id="default...">Ctrl</span>`) only the default is kept.

A paragraph of several sentences is split into sentences when both sides
have the same number (split after . ! ? before an upper-case letter); a
paragraph whose sides have different numbers of sentences is dropped (the
translation added or merged sentences: about 860 of 60,000 paragraphs), and
so is a pair whose German is less than half or more than 2.5 times as long
as its English (in characters). Each pair must then pass `clean.accept`
(4-40 English words, no placeholders or paths, German not equal to English).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

from zoo.data.en_de.clean import MAX_WORDS, MIN_WORDS, accept, tidy

DEFAULT_ROOT = "/usr/share/libreoffice/help"
ENGLISH, GERMAN = "en-US", "de"
DOMAIN = "documentation"
PACKAGES = ("libreoffice-help-en-us", "libreoffice-help-de")

_PARAGRAPH = re.compile(r'<(p|h[1-6])\s([^>]*\bid="((?:par|hd)_id[^"]*)"[^>]*)>(.*?)</\1>', re.S)
_CLASS = re.compile(r'\bclass="([^"]*)"')
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[\"„“(]?[A-ZÄÖÜ])")
_LENGTH_RATIO = (0.5, 2.5)
_VOID = frozenset(["br", "img", "input", "meta", "link", "hr", "wbr", "col", "area", "source"])


class _Text(HTMLParser):
    """The visible text of an HTML fragment: the default of OS-specific hidden variants."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self._skip = [], 0  # depth of open tags inside a skipped element

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            if tag == "br":
                self.parts.append(" ")
            return
        if self._skip:
            self._skip += 1
            return
        attrs = dict(attrs)
        if "hidden" in attrs and not (attrs.get("id") or "").startswith("default"):
            self._skip = 1

    def handle_endtag(self, tag):
        if tag not in _VOID and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(fragment):
    """The text of an HTML fragment as the help viewer shows it (see module doc)."""
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    return tidy(html.unescape("".join(parser.parts)))


def paragraphs(page):
    """`{id: text}` of the paragraphs and headings of one help page's HTML."""
    out = {}
    for _, attributes, ident, inner in _PARAGRAPH.findall(page):
        classes = _CLASS.search(attributes)
        classes = classes.group(1) if classes else ""
        if "code" in classes or "related" in classes:
            continue
        text = visible_text(inner)
        if text:
            out.setdefault(ident, text)
    return out


def sentences(text):
    """`text` cut after . ! ? where an upper-case letter follows."""
    return [s for s in _SENTENCE_BREAK.split(text) if s]


def align(english, german):
    """`(english, german)` pairs of two aligned paragraphs: sentence by sentence when both
    have the same number of sentences, else none; pairs of implausible length ratio
    (German < 0.5 or > 2.5 times the English characters) are left out."""
    en, de = sentences(english), sentences(german)
    if len(en) != len(de):
        return []
    low, high = _LENGTH_RATIO
    return [(e, g) for e, g in zip(en, de) if low <= len(g) / len(e) <= high]


def page_pairs(english_page, german_page):
    """The aligned `(english, german)` texts of one page in both languages (HTML strings)."""
    german = paragraphs(german_page)
    pairs = []
    for ident, english in paragraphs(english_page).items():
        if ident in german:
            pairs.extend(align(english, german[ident]))
    return pairs


def pages(root=DEFAULT_ROOT):
    """`[(english page path, german page path), ...]` present in both languages, sorted."""
    root = Path(root)
    en_root, de_root = root / ENGLISH / "text", root / GERMAN / "text"
    missing = [p for d, p in ((en_root, PACKAGES[0]), (de_root, PACKAGES[1])) if not d.is_dir()]
    if missing:
        raise FileNotFoundError(f"LibreOffice help not found under {root}: install the Debian "
                                f"package(s) (`apt-get install {' '.join(missing)}`)")
    return [(p, de_root / p.relative_to(en_root)) for p in sorted(en_root.rglob("*.html"))
            if (de_root / p.relative_to(en_root)).is_file()]


def libreoffice_help_pairs(root=DEFAULT_ROOT, min_words=MIN_WORDS, max_words=MAX_WORDS,
                           progress=None):
    """`(english, german, "documentation")` from the LibreOffice help pages (module doc).
    `progress`, when given, is called once per page (e.g. a tqdm bar's `update`)."""
    for en_path, de_path in pages(root):
        english_page = en_path.read_text(encoding="utf-8", errors="replace")
        german_page = de_path.read_text(encoding="utf-8", errors="replace")
        for english, german in page_pairs(english_page, german_page):
            if accept(english, german, min_words, max_words):
                yield english, german, DOMAIN
        if progress:
            progress(1)


__all__ = ["DEFAULT_ROOT", "PACKAGES", "align", "libreoffice_help_pairs", "page_pairs",
           "pages", "paragraphs", "sentences", "visible_text"]
