"""English-German readers, combined corpus, split and build (zoo.data.en_de).

The fixtures under tests/fixtures/en_de/ are lines cut from the real Debian
files, laid out as on the machine (usr/share/trans/de-en, ...), so the whole
build also runs on them with `root=FIXTURE_ROOT`.
"""

import json
import shutil
from pathlib import Path

import pytest

from zoo.data import translation as tr
from zoo.data import wordpiece
from zoo.data.en_de import catalogues, clean, combine, debian_reference, ding, libreoffice_help

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "en_de"
TRANS = ROOT / "usr/share/trans/de-en"
DEU_ENG = ROOT / "usr/share/dictd/freedict-deu-eng.dict.dz"
ENG_DEU = ROOT / "usr/share/dictd/freedict-eng-deu.dict.dz"
HELP = ROOT / "usr/share/libreoffice/help"
LO_UI = ROOT / "usr/lib/libreoffice/program/resource/de/LC_MESSAGES"
SYSTEM_UI = ROOT / "usr/share/locale/de/LC_MESSAGES"
DEBREF = ROOT / "usr/share/debian-reference"
ALL_PACKAGES = ["dict-freedict-eng-deu", "trans-de-en", "dict-freedict-deu-eng",
                "libreoffice-help-en-us", "libreoffice-help-de", "debian-reference-en",
                "debian-reference-de", "libreoffice-l10n-de"]


def pairs(reader_output):
    return [(e, g) for e, g, _ in reader_output]


# ----------------------------------------------------------------------------- text rules


@pytest.mark.parametrize("text", [
    "Cannot open %s", "%lu packages", "%1 of %2", "%PRODUCTNAME Writer", "Set $(ARG1) Style",
    "Hello {0}", "Hello {name}", "press <b>OK</b>", "~Insert the file", "_Open the file",
    "&File menu item", "read /etc/ethers now", "the user/config folder", "see C:\\temp",
    "go to https://x.org", "use --no-preserve-root here", "open the index.html file",
    "mail me at x@example.org", "snake_case name", "%(name)s was removed"])
def test_markup_is_recognised(text):
    assert clean.has_markup(text)


@pytest.mark.parametrize("text", [
    "Do you want to continue?", "a socket 1/4 wide", "It is 50 % of the total.",
    "Tools - Options - General", "Straße und Größe", "don't stop the ping-pong",
    "Choose Format - Character.", "AT 3.5 km"])
def test_prose_is_not_markup(text):
    assert not clean.has_markup(text)


def test_tidy_keeps_case_and_eszett_and_straightens_apostrophes():
    assert clean.tidy("  Die  Straße\u00a0ist\nNASS . ") == "Die Straße ist NASS."
    assert clean.tidy("I’ve seen it’s „Größe“.") == "I've seen it's „Größe“."
    assert clean.tidy("Ab\u00adschnitt") == "Abschnitt"
    assert clean.key("I’ve  SEEN it.") == clean.key("i've seen it") == "i've seen it"
    assert clean.key("Straße") == "strasse"  # only the key folds case


def test_word_limit_counts_english_words():
    german = "irgendein deutscher Text"
    assert not clean.accept("three words here", german)
    assert clean.accept("four words right here", german)
    forty = " ".join(["word"] * 40)
    assert clean.accept(forty, german)
    assert not clean.accept(forty + " more", german)
    assert clean.accept("a b c", german, min_words=3, max_words=3)
    assert not clean.accept("Open the file please", "Open the file please")  # untranslated
    assert not clean.accept("Open the %s file", "Die Datei %s öffnen")


def test_sentence_test():
    assert clean.is_sentence("It's not over until it's over.")
    assert clean.is_sentence("„Er dürfte ziemlich clever sein.“")
    assert not clean.is_sentence("to pull a tooth")
    assert not clean.is_sentence("The following package was installed:")


# ----------------------------------------------------------------------------- readers


def test_trans_reader_on_real_lines():
    got = list(ding.trans_pairs(TRANS))
    assert {d for _, _, d in got} == {"general"}
    got = pairs(got)
    assert got[:4] == [
        ("I've made one or two modifications to the original design.",  # ’ made ASCII
         "Ich habe am ursprünglichen Entwurf ein paar Änderungen vorgenommen."),
        ("to adopt an amendment", "einen Abänderungsantrag annehmen"),  # adopt/pass
        ("to move an amendment", "einen Abänderungsantrag stellen"),  # first "; " option
        ("It's not over until it's over.", "Noch ist nicht aller Tage Abend."),
    ]
    assert ("Things have come full circle now that he is back in his hometown.",
            "Jetzt, wo er wieder in seiner Heimatstadt ist, schließt sich der Kreis.") in got
    assert ("I don't know when the lecture starts, but I'll find out.",
            "Ich weiß nicht, wann der Vortrag beginnt, aber ich werde das in Erfahrung "
            "bringen.") in got
    assert ("to grind one's teeth", "mit den Zähnen knirschen") in got  # "(vor Wut)" dropped
    assert ("hard ginger bread from Aachen", "Aachener Printen") == got[-1]
    english = [e for e, _ in got]
    assert "the Aachen Cathedral" not in english  # 3 words
    assert not [e for e in english if "pulled" in e]  # "pulled / extracted": spaced slash
    assert len(got) == 19


def test_trans_skips_lines_whose_sub_entries_do_not_correspond(tmp_path):
    path = tmp_path / "de-en"
    path.write_text("# comment :: not an entry\n"
                    "Zahn {m} | die Zähne zusammenbeißen :: tooth | to grit your teeth\n"
                    "Zahn {m} | Zähne {pl} | die Zähne zusammenbeißen :: tooth | to grit your "
                    "teeth\n", encoding="utf-8")
    assert ding.read_trans(path) == [("tooth", "Zahn {m}"),
                                     ("to grit your teeth", "die Zähne zusammenbeißen")]
    with pytest.raises(FileNotFoundError, match="apt-get install trans-de-en"):
        list(ding.trans_pairs(tmp_path / "missing"))


def test_freedict_readers_on_real_lines():
    assert pairs(ding.freedict_deu_eng_pairs(DEU_ENG)) == [
        ("I've made one or two modifications to the original design.",
         "Ich habe am ursprünglichen Entwurf ein paar Änderungen vorgenommen."),
        ("the depletion of the ozone layer", "der Abbau der Ozonschicht"),  # ", ozone depletion"
        ("be in the same ballpark", "sich in der gleichen Größenordnung bewegen"),
        ("That's a rough estimate, but it's in the correct ballpark.",
         "Es ist eine grobe Schätzung, aber die Größenordnung stimmt."),
        ("I'm not sure when this programme will be aired.",  # programme/program
         "Ich weiß nicht genau, wann diese Sendung ausgestrahlt wird."),
    ]
    assert pairs(ding.freedict_eng_deu_pairs(ENG_DEU)) == [
        ("hard ginger bread from Aachen", "Aachener Printen"),
        ("I've made one or two modifications to the original design.",
         "Ich habe am ursprünglichen Entwurf ein paar Änderungen vorgenommen."),
        ("impose a night-time curfew", "eine nächtliche Ausgangssperre verhängen"),
        ("be found in the streets after curfew",
         "sich nach Beginn der Ausgangssperre auf der Straße aufhalten"),
        ("The whole town was placed under curfew.",
         "Über die ganze Stadt wurde eine Ausgangssperre verhängt."),
    ]
    with pytest.raises(FileNotFoundError, match="apt-get install dict-freedict-deu-eng"):
        list(ding.freedict_deu_eng_pairs(ROOT / "nope.dict.dz"))


def test_libreoffice_help_paragraphs_skip_code_related_and_other_systems():
    page = (HELP / "en-US/text/scalc/guide/goalseek.html").read_text(encoding="utf-8")
    assert list(libreoffice_help.paragraphs(page)) == ["hd_id3153966", "par_id3150871"]
    page = (HELP / "en-US/text/swriter/guide/words_count.html").read_text(encoding="utf-8")
    found = libreoffice_help.paragraphs(page)
    assert "par_id3147212" not in found  # "Related Topics"
    assert found["par_id111620090113400"].startswith(
        "To add a custom character to be considered as the word limit, choose Tools - Options "
        "- LibreOffice Writer - General and")  # not the macOS "LibreOffice - Preferences"
    assert found["hd_id3149686"] == "Counting Words"


def test_libreoffice_help_alignment():
    got = list(libreoffice_help.libreoffice_help_pairs(HELP))
    assert {d for _, _, d in got} == {"documentation"}
    got = pairs(got)
    assert ("In general, every string of characters between two spaces is a word.",
            "Im Allgemeinen ist jede Zeichenfolge zwischen 2 Leerzeichen ein Wort.") in got
    assert ("Dashes, tabs, line breaks, and paragraph breaks are word limits, too.",
            "Bindestriche, Tabulatoren, Zeilenumbrüche und Absatzmarken sind ebenfalls "
            "Wortbegrenzungen.") in got
    english = [e for e, _ in got]
    assert "Counting Words" not in english  # 2 words
    assert not [e for e in english if "user/config" in e or "http" in e]  # path, URL
    # the paragraph of two sentences whose second holds a URL keeps its first sentence
    assert "The words can be a mix of letters, numbers, and special characters." in english
    assert len(got) == 9
    assert libreoffice_help.align("One. Two.", "Eins. Zwei. Drei.") == []
    assert libreoffice_help.align("One two three. Four five.", "Eins zwei drei. Vier fünf.") == [
        ("One two three.", "Eins zwei drei."), ("Four five.", "Vier fünf.")]
    assert libreoffice_help.align("Open it.", "Öffnen Sie die Datei, die Sie soeben "
                                              "gespeichert haben, erneut.") == []  # 2.5+ x
    with pytest.raises(FileNotFoundError, match="apt-get install libreoffice-help-en-us "
                                                "libreoffice-help-de"):
        libreoffice_help.pages(ROOT / "nothing")


def test_debian_reference_alignment():
    got = pairs(debian_reference.debian_reference_pairs(DEBREF))
    assert got[:2] == [
        ("The root account is also called superuser or privileged user.",
         "Das root-Benutzerkonto wird auch Superuser oder privilegierter Benutzer genannt."),
        ("From this account, you can perform the following system administration tasks.",
         "Mit diesem Benutzerkonto können Sie folgende Administrationsaufgaben erledigen:")]
    assert ("Never share the root password with others.",
            "Teilen Sie das root-Passwort niemals anderen mit.") == got[-1]
    assert len(got) == 8


def test_read_mo_parses_the_binary_catalogue(tmp_path):
    entries = dict(catalogues.read_mo(SYSTEM_UI / "apt.mo"))
    assert entries["Do you want to continue?"] == "Möchten Sie fortfahren?"
    plural = [k for k in entries if k.startswith("The following package was")]
    assert plural and "\x00The following packages were" in plural[0]
    lo = dict(catalogues.read_mo(LO_UI / "sw.mo"))
    assert lo["ST_DELETE_CONFIRM\x04Do you want to delete this registered data source?"] == \
        "Möchten Sie diese registrierte Datenquelle löschen?"
    bad = tmp_path / "bad.mo"
    bad.write_bytes(b"not a catalogue at all")
    with pytest.raises(ValueError, match="bad magic"):
        catalogues.read_mo(bad)


def test_catalogue_readers_drop_placeholders_accelerators_paths_and_layout():
    assert pairs(catalogues.libreoffice_ui_pairs(LO_UI)) == [
        ("Capitalize first letter of sentences", "Jeden Satz mit einem Großbuchstaben beginnen"),
        ("Do you want to delete this registered data source?",
         "Möchten Sie diese registrierte Datenquelle löschen?"),
    ]  # not: ~Insert, %PRODUCTNAME, $(ARG1), MySQL/MariaDB d~river
    got = list(catalogues.system_ui_pairs(SYSTEM_UI))
    assert {d for _, _, d in got} == {"ui"}
    assert pairs(got) == [
        ("Could not obtain exclusive lock, please try again shortly!",
         "Konnte keine exklusive Sperre erlangen, bitte versuchen Sie es in Kürze erneut!"),
        ("All packages are up to date.", "Alle Pakete sind aktuell."),
        ("Do you want to continue?", "Möchten Sie fortfahren?"),
        ("The following package was automatically installed and is no longer required:",
         "Das folgende Paket wurde automatisch installiert und wird nicht mehr benötigt:"),
        ("WARNING: The following essential packages will be removed. This should NOT be done "
         "unless you know exactly what you are doing!",  # wrapped sentence joined
         "WARNUNG: Die folgenden essentiellen Pakete werden entfernt. Dies sollte NICHT "
         "geschehen, außer Sie wissen genau, was Sie tun!"),
    ]  # not: --group options, the indented UID message, %lu, _http._tcp
    with pytest.raises(FileNotFoundError, match="apt-get install libreoffice-l10n-de"):
        catalogues.libreoffice_catalogues(ROOT / "nothing")


# ----------------------------------------------------------------------------- corpus


def test_corpus_dedupes_on_normalised_english_in_source_order():
    stats = {}
    records = combine.corpus(root=ROOT, stats=stats)
    keys = [clean.key(r.english) for r in records]
    assert len(keys) == len(set(keys))
    design = [r for r in records if r.english.startswith("I've made one or two")]
    # in eng-deu, in trans-de-en (with ’) and in deu-eng: kept once, from the first source
    assert [r.source for r in design] == ["freedict-eng-deu"]
    assert stats["trans-de-en"] == dict(domain="general", read=19, distinct=19, kept=17,
                                        sentences_kept=5)
    assert stats["freedict-deu-eng"]["kept"] == 4
    assert len(records) == 5 + 17 + 4 + 9 + 8 + 2 + 5
    assert {r.domain for r in records if r.source.endswith("-ui")} == {"ui"}
    # case and ß kept end to end of the data layer
    assert ("Capitalize first letter of sentences",
            "Jeden Satz mit einem Großbuchstaben beginnen") in [r[:2] for r in records]
    with pytest.raises(ValueError, match="unknown source"):
        combine.corpus(sources=("tatoeba",), root=ROOT)


def _english_in(split, start=0):
    """An English text (with a number from `start`) that `split_of` puts in `split`."""
    i = start
    while tr.split_of(f"sentence number {i} here") != split:
        i += 1
    return f"sentence number {i} here", i + 1


def test_split_drops_evaluation_pairs_sharing_either_side():
    R = combine.Record
    in_train, n = _english_in("train")
    in_val, n = _english_in("validation", n)
    in_val2, n = _english_in("validation", n)
    in_test, n = _english_in("test", n)
    in_test2, n = _english_in("test", n)
    in_test3, n = _english_in("test", n)
    records = [R(in_train, "Gemeinsam genutzt.", "general", "a"),
               R(in_val, "gemeinsam  GENUTZT", "general", "a"),   # German of a train pair
               R(in_val2, "Nur in der Validierung.", "ui", "b"),
               R(in_test, "nur in der validierung", "ui", "b"),   # German of a validation pair
               R(in_test2, "Nur im Test.", "general", "a"),
               R(in_test3.upper(), "Anders.", "general", "a")]
    parts = combine.split_records(records)
    assert parts == {"train": [records[0]], "validation": [records[2]],
                     "test": [records[4], records[5]]}
    assert combine.of_domain(parts["validation"], "ui") == [records[2]]
    assert combine.of_domain(parts["test"], "general") == parts["test"]
    assert combine.of_domain(parts["test"], "documentation") == []
    with pytest.raises(ValueError, match="domain must be one of"):
        combine.of_domain(records, "legal")


def test_split_shares_no_sentence_on_either_side():
    R = combine.Record
    records = [R(f"english sentence {i}", f"Deutscher Satz {i % 1200}", "general", "x")
               for i in range(1500)]
    parts = combine.split_records(records)
    assert sum(map(len, parts.values())) < len(records)  # shared German removed some
    assert parts["validation"] and parts["test"]
    for side in (0, 1):
        seen = {}
        for split, part in parts.items():
            for r in part:
                assert seen.setdefault(clean.key(r[side]), split) == split


# ----------------------------------------------------------------------------- build


def test_build_writes_tsv_per_split_and_domain_and_is_rerunnable(tmp_path):
    out = tmp_path / "en-de"
    stats = combine.build(out, root=ROOT, progress=False)
    assert stats["total"] == 50 and stats["domains"] == dict(general=26, documentation=17, ui=7)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["stats.json"] + [f"{s}.{d}.tsv" for s in combine.SPLITS for d in clean.DOMAINS])
    assert json.loads((out / "stats.json").read_text(encoding="utf-8"))["splits"] == stats["splits"]
    for split in combine.SPLITS:
        for domain in clean.DOMAINS:
            lines = (out / f"{split}.{domain}.tsv").read_text(encoding="utf-8").splitlines()
            assert len(lines) == stats["splits"][split][domain]
            sources = {line.split("\t")[2] for line in lines}
            assert all(combine.SOURCES[s][0] == domain for s in sources)
    general_test = combine.load_built(out, "test", "general")
    assert ("hard ginger bread from Aachen", "Aachener Printen") in general_test
    assert combine.load_built(out, "train") == [
        (r.english, r.german) for d in clean.DOMAINS
        for r in combine.split_records(combine.corpus(root=ROOT))["train"] if r.domain == d]
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    combine.build(out, root=ROOT, progress=False)
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert {k: v for k, v in after.items() if k != "stats.json"} == \
        {k: v for k, v in before.items() if k != "stats.json"}
    with pytest.raises(FileNotFoundError, match="python -m zoo.data.translation build"):
        combine.load_built(tmp_path / "empty", "test")


def test_build_names_the_missing_packages_and_the_apt_command(tmp_path, capsys):
    with pytest.raises(FileNotFoundError) as err:
        combine.build(tmp_path / "out", root=tmp_path, progress=False)
    assert f"apt-get install -y {' '.join(ALL_PACKAGES)}" in str(err.value)
    assert not (tmp_path / "out").exists()
    # one package gone: only it is named, and the other sources are offered
    root = tmp_path / "root"
    shutil.copytree(ROOT, root)
    (root / "usr/share/trans/de-en").unlink()
    assert combine.missing_packages(root=root) == ["trans-de-en"]
    code = tr.main(["build", "--out", str(tmp_path / "cli"), "--root", str(root),
                    "--no-progress"])
    message = capsys.readouterr().err
    assert code == 2
    assert "apt-get install -y trans-de-en`" in message
    assert "--sources freedict-eng-deu,freedict-deu-eng,libreoffice-help" in message
    code = tr.main(["build", "--out", str(tmp_path / "cli"), "--root", str(root),
                    "--no-progress", "--sources", "freedict-eng-deu,system-ui"])
    assert code == 0
    assert json.loads((tmp_path / "cli" / "stats.json").read_text())["total"] == 10


def test_load_checks_domains():
    with pytest.raises(ValueError, match="only the en-de corpus has domains"):
        tr.load("freedict", "test", domain="general")
    with pytest.raises(ValueError, match="domain must be one of"):
        tr.load("en-de", "test", domain="legal")


# ----------------------------------------------------------------------------- case kept


def test_cased_tokens_keep_case_and_eszett():
    texts = ["Die Straße ist NASS."]
    assert tr.tokenize(texts, "word", cased=True) == [["Die", "Straße", "ist", "NASS", "."]]
    assert tr.tokenize(texts, "word") == [["die", "strasse", "ist", "nass", "."]]  # shipped path
    assert "".join(tr.tokenize(texts, "char", cased=True)[0]) == "Die Straße ist NASS."
    vocab = tr.build_vocab(tr.tokenize(texts, "word", cased=True), max_size=20)
    _, target = tr.encode_target(texts, vocab, length=8, level="word", cased=True)
    assert tr.detokenize(target[0], vocab, "word") == "Die Straße ist NASS."


def test_cased_wordpiece_vocabulary():
    german = [g for _, g in tr.load_tsv(ROOT.parent / "translation_pairs.tsv")] * 12
    vocab = wordpiece.build_vocab(german, size=200, reserved=tr.SPECIALS, cased=True,
                                  min_count=2)
    assert {"Die", "die", "Straße", "Hallo"} <= set(vocab) and "strasse" not in vocab
    pieces = wordpiece.tokenize(["Die Straße ist nass."], vocab, cased=True)[0]
    assert wordpiece.join(pieces) == "Die Straße ist nass."
    folded = wordpiece.build_vocab(german, size=200, reserved=tr.SPECIALS, min_count=2)
    assert {"die", "strasse", "hallo"} <= set(folded) and "Straße" not in folded
    assert not any(ch.isupper() for t in folded[4:] for ch in t)


# ----------------------------------------------------------------------------- real packages


@pytest.mark.slow
@pytest.mark.skipif(bool(combine.missing_packages()),
                    reason="Debian packages of zoo.data.en_de not installed")
def test_real_corpus_counts():
    stats = {}
    records = combine.corpus(stats=stats)
    assert 100_000 < len(records) < 140_000
    general = sum(r.domain == "general" for r in records)
    assert general > len(records) / 2
    assert 55_000 < stats["trans-de-en"]["distinct"] < 65_000
    assert 25_000 < stats["libreoffice-help"]["distinct"] < 40_000
    assert all(4 <= clean.words(r.english) <= 40 for r in records)
    assert sum("ß" in r.german for r in records) > 3000


def test_every_package_is_registered_with_its_licence():
    from zoo.data import sources

    entries = sources.sources_of({"source": "Debian packages, zoo.data.en_de"})
    for package in combine.PACKAGES:
        named = [e for e in entries if f"(Debian {package})" in e["name"]]
        assert len(named) == 1, package
        assert named[0]["evidence"] == f"/usr/share/doc/{package}/copyright"
    assert all(e["license"] and e["license"] != sources.UNKNOWN and e["role"] for e in entries)
    assert any("/usr/share/locale/de" in e["name"] for e in entries)  # system-ui


def test_build_without_system_catalogues_says_how_to_leave_them_out(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(ROOT, root)
    shutil.rmtree(root / "usr/share/locale")
    with pytest.raises(FileNotFoundError, match="without the system-ui source"):
        combine.build(tmp_path / "out", root=root, progress=False)
    sources = [s for s in combine.SOURCES if s != "system-ui"]
    assert combine.build(tmp_path / "out", sources, root=root, progress=False)["total"] == 45
