"""English-German parallel text that installs offline from Debian packages:
one reader per source, a combined and deduplicated corpus with a leak-free
split, and the build command (`python -m zoo.data.translation build --out DIR`).

Modules (each reader yields `(english, german, domain)`, case and "ß" kept,
white space tidied, 4-40 English words, no placeholders or paths):

- `clean`             shared text rules: `tidy`, `has_markup`, `key` (dedup), `accept`
- `ding`              the Ding dictionary: `trans_pairs` (trans-de-en),
                      `freedict_deu_eng_pairs`, `freedict_eng_deu_pairs` ("general")
- `libreoffice_help`  LibreOffice help pages aligned by paragraph id ("documentation")
- `debian_reference`  the Debian Reference aligned by section and paragraph ("documentation")
- `catalogues`        `.mo` message catalogues: LibreOffice UI, /usr/share/locale/de ("ui")
- `combine`           `SOURCES`, `corpus`, `split_records`, `build`, `load_built`, the CLI

`zoo.data.translation.load("en-de", split, domain=None)` is the entry point
for training; `combine`'s docstring has the measured counts.
"""

from zoo.data.en_de.combine import (PACKAGES, SOURCES, Record, build, check_installed, corpus,
                                    load_built, missing_packages, of_domain, split_records)

__all__ = ["PACKAGES", "Record", "SOURCES", "build", "check_installed", "corpus", "load_built",
           "missing_packages", "of_domain", "split_records"]
