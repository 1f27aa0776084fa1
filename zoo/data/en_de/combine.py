"""The combined English-German corpus: all readers, one pair per English text,
a leak-free split, domains kept apart, and the build command.

    records = corpus()                       # [Record(english, german, domain, source), ...]
    parts = split_records(records)           # {"train": [...], "validation": [...], "test": [...]}
    build("data/en-de")                      # TSV per split and domain + stats.json

    python -m zoo.data.translation build --out data/en-de

Sources (`SOURCES`, in dedup priority order: a pair whose normalised English
(`clean.key`) an earlier source already gave is dropped):

| source           | Debian package(s)                           | domain        |
|------------------|---------------------------------------------|---------------|
| freedict-eng-deu | dict-freedict-eng-deu                       | general       |
| trans-de-en      | trans-de-en                                 | general       |
| freedict-deu-eng | dict-freedict-deu-eng                       | general       |
| libreoffice-help | libreoffice-help-en-us, libreoffice-help-de | documentation |
| debian-reference | debian-reference-en, debian-reference-de    | documentation |
| libreoffice-ui   | libreoffice-l10n-de                         | ui            |
| system-ui        | (German .mo files in /usr/share/locale/de)  | ui            |

Measured on Debian 12 (2026-12, 2 CPU cores: the build takes 45 s and
165 MB of memory), 4-40 English words, markup and paths dropped; "kept" is
after deduplication in the order above, "sentences" counts kept pairs whose
both sides start with a capital (or digit) and end with . ! ? or …:

| source           | read   | distinct | kept    | sentences kept |
|------------------|--------|----------|---------|----------------|
| freedict-eng-deu | 28,649 | 24,729   | 24,729  | 8,861          |
| trans-de-en      | 60,688 | 59,535   | 42,446  | 10,282         |
| freedict-deu-eng | 21,758 | 18,444   | 1,803   | 356            |
| libreoffice-help | 41,189 | 31,695   | 31,694  | 26,049         |
| debian-reference | 2,522  | 2,486    | 2,485   | 1,662          |
| libreoffice-ui   | 7,886  | 6,661    | 4,220   | 2,879          |
| system-ui        | 15,344 | 13,499   | 13,481  | 2,573          |
| all              |        |          | 120,858 | 52,662         |

By domain: general 68,978 (57 %), documentation 34,179, ui 17,701. By split
(after the leak rule below):

| split      | general | documentation | ui     | all    | sentences |
|------------|---------|---------------|--------|--------|-----------|
| train      | 55,195  | 27,205        | 14,121 | 96,521 | 41,918    |
| validation | 5,363   | 3,483         | 1,757  | 10,603 | 5,219     |
| test       | 5,269   | 3,396         | 1,789  | 10,454 | 5,225     |

The survey in the project notes ("real-data-offline", 4-20 words) counted
140,871 distinct pairs, 112,975 of them without placeholders or paths
(60,253 general, 34,207 documentation, 21,135 ui). With 4-20 words this
corpus has 115,963 (68,875 / 30,190 / 16,898): more general text (a Ding
"a/b" alternative keeps its first option here instead of dropping the pair),
less documentation (help paragraphs whose two sides have different numbers
of sentences are dropped, gnome-user-docs and debian-handbook are not read)
and fewer UI strings (entries with accelerators are dropped, not stripped,
and the machine's /usr/share/locale/de holds another set of catalogues).

Splits: `zoo.data.translation.split_of` of the English text (80/10/10 by
SHA-1, the rule of the shipped corpora, so a FreeDict pair keeps its split),
then validation loses every pair whose English or German key is in train,
and test every pair whose English or German key is in train or validation:
no sentence, on either side, is in two splits.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

from zoo.data.en_de import catalogues, debian_reference, ding, libreoffice_help
from zoo.data.en_de.clean import DOMAINS, MAX_WORDS, MIN_WORDS, is_sentence, key

SPLITS = ("train", "validation", "test")
STATS_FILE = "stats.json"


class Record(NamedTuple):
    english: str
    german: str
    domain: str
    source: str


def _under(root, path):
    return Path(root) / str(path).lstrip("/")


def _read_libreoffice_help(root, lo, hi, progress):
    return libreoffice_help.libreoffice_help_pairs(
        _under(root, libreoffice_help.DEFAULT_ROOT), lo, hi, progress)


#: name -> (domain, {package: path it installs, under the file-system root}, reader(root,
#: min_words, max_words, progress)); the order is the dedup priority.
SOURCES = {
    "freedict-eng-deu": ("general", {"dict-freedict-eng-deu": ding.DEFAULT_FREEDICT_ENG_DEU},
                         lambda r, lo, hi, p: ding.freedict_eng_deu_pairs(
                             _under(r, ding.DEFAULT_FREEDICT_ENG_DEU), lo, hi)),
    "trans-de-en": ("general", {"trans-de-en": ding.DEFAULT_TRANS},
                    lambda r, lo, hi, p: ding.trans_pairs(_under(r, ding.DEFAULT_TRANS), lo, hi)),
    "freedict-deu-eng": ("general", {"dict-freedict-deu-eng": ding.DEFAULT_FREEDICT_DEU_ENG},
                         lambda r, lo, hi, p: ding.freedict_deu_eng_pairs(
                             _under(r, ding.DEFAULT_FREEDICT_DEU_ENG), lo, hi)),
    "libreoffice-help": ("documentation", {
        "libreoffice-help-en-us": f"{libreoffice_help.DEFAULT_ROOT}/en-US/text",
        "libreoffice-help-de": f"{libreoffice_help.DEFAULT_ROOT}/de/text"},
        _read_libreoffice_help),
    "debian-reference": ("documentation", {
        "debian-reference-en": f"{debian_reference.DEFAULT_ROOT}/ch01.en.html",
        "debian-reference-de": f"{debian_reference.DEFAULT_ROOT}/ch01.de.html"},
        lambda r, lo, hi, p: debian_reference.debian_reference_pairs(
            _under(r, debian_reference.DEFAULT_ROOT), lo, hi)),
    "libreoffice-ui": ("ui", {"libreoffice-l10n-de": catalogues.DEFAULT_LIBREOFFICE},
                       lambda r, lo, hi, p: catalogues.libreoffice_ui_pairs(
                           _under(r, catalogues.DEFAULT_LIBREOFFICE), lo, hi)),
    "system-ui": ("ui", {}, lambda r, lo, hi, p: catalogues.system_ui_pairs(
        _under(r, catalogues.DEFAULT_SYSTEM), lo, hi)),
}
#: The Debian packages of all sources (what `apt-get install` needs).
PACKAGES = tuple(p for _, packages, _ in SOURCES.values() for p in packages)


def _check_sources(sources):
    unknown = [s for s in sources if s not in SOURCES]
    if unknown or not sources:
        raise ValueError(f"unknown source(s) {unknown}; choose from {list(SOURCES)}"
                         if unknown else f"give at least one source of {list(SOURCES)}")


def missing_packages(sources=tuple(SOURCES), root="/"):
    """The Debian packages of `sources` whose files are absent under `root`, in order."""
    _check_sources(sources)
    return [package for s in sources for package, path in SOURCES[s][1].items()
            if not _under(root, path).exists()]


def check_installed(sources=tuple(SOURCES), root="/"):
    """`FileNotFoundError` naming every missing package and the apt-get command that
    installs them (and how to leave their sources out) when one is absent."""
    missing = missing_packages(sources, root)
    if missing:
        without = [s for s in sources if not set(SOURCES[s][1]) & set(missing)]
        raise FileNotFoundError(
            f"missing Debian package(s): {', '.join(missing)}. Install them with "
            f"`apt-get install -y {' '.join(missing)}` (as root), or leave their sources out: "
            f"--sources {','.join(without) or '...'}")
    if "system-ui" in sources:
        catalogues.system_catalogues(_under(root, catalogues.DEFAULT_SYSTEM))


def corpus(sources=tuple(SOURCES), root="/", min_words=MIN_WORDS, max_words=MAX_WORDS,
           progress=False, stats=None):
    """`[Record, ...]`: the pairs of `sources` (read under the file-system `root`), one per
    normalised English text (the first in `SOURCES` order), in source and file order.
    `stats`, when a dict, receives per source: read, distinct, kept, sentences_kept."""
    if min_words < 1 or max_words < min_words:
        raise ValueError(f"need 1 <= min_words <= max_words; got {min_words}, {max_words}")
    check_installed(sources, root)
    seen, records = set(), []
    for name in SOURCES:
        if name not in sources:
            continue
        domain, _, reader = SOURCES[name]
        by_page = name == "libreoffice-help"  # the one slow reader: a bar over its pages
        bar = _bar(name, progress, unit="page" if by_page else "pair", total=len(
            libreoffice_help.pages(_under(root, libreoffice_help.DEFAULT_ROOT)))
            if by_page and progress else None)
        update = bar.update if bar is not None and by_page else None
        read, own, kept, sentences = 0, set(), 0, 0
        for english, german, pair_domain in reader(root, min_words, max_words, update):
            read += 1
            if bar is not None and not by_page:
                bar.update(1)
            k = key(english)
            own.add(k)
            if k in seen:
                continue
            seen.add(k)
            records.append(Record(english, german, pair_domain, name))
            kept += 1
            sentences += is_sentence(english) and is_sentence(german)
        if bar is not None:
            bar.close()
        if stats is not None:
            stats[name] = dict(domain=domain, read=read, distinct=len(own), kept=kept,
                               sentences_kept=sentences)
    return records


def _bar(name, progress, total=None, unit="pair"):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"{name:>16}", unit=unit, leave=True)


def split_records(records):
    """`{split: [Record, ...]}` by `zoo.data.translation.split_of` of the English text; a
    validation record whose English or German key is in train, and a test record whose
    English or German key is in train or validation, is dropped (order kept)."""
    from zoo.data.pairs import split_of

    parts = {s: [] for s in SPLITS}
    for record in records:
        parts[split_of(record.english)].append(record)
    seen_en = {key(r.english) for r in parts["train"]}
    seen_de = {key(r.german) for r in parts["train"]}
    for split in ("validation", "test"):
        parts[split] = [r for r in parts[split]
                        if key(r.english) not in seen_en and key(r.german) not in seen_de]
        seen_en |= {key(r.english) for r in parts[split]}
        seen_de |= {key(r.german) for r in parts[split]}
    return parts


def of_domain(records, domain=None):
    """The records of one domain ("general", "documentation", "ui"), or all for None."""
    if domain is not None and domain not in DOMAINS:
        raise ValueError(f"domain must be one of {DOMAINS} or None; got {domain!r}")
    return [r for r in records if domain is None or r.domain == domain]


def count_table(parts):
    """`{split: {domain: n, "all": n, "sentences": n}}` of split records."""
    table = {}
    for split, records in parts.items():
        counts = collections.Counter(r.domain for r in records)
        table[split] = {d: counts[d] for d in DOMAINS}
        table[split]["all"] = len(records)
        table[split]["sentences"] = sum(is_sentence(r.english) and is_sentence(r.german)
                                        for r in records)
    return table


# ----------------------------------------------------------------------------- build


def tsv_name(split, domain):
    """The file of one split and domain in a build directory, e.g. "test.general.tsv"."""
    return f"{split}.{domain}.tsv"


def _versions(packages):
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\t${Version}\n", *packages],
                             capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    return dict(line.split("\t", 1) for line in out.splitlines() if "\t" in line)


def build(out, sources=tuple(SOURCES), root="/", min_words=MIN_WORDS, max_words=MAX_WORDS,
          progress=True):
    """Read the installed packages, write `out/<split>.<domain>.tsv` (`english<TAB>german
    <TAB>source`, readable by `zoo.data.translation.load_tsv`) and `out/stats.json`;
    returns the stats. Deterministic, every file written whole (atomically): safe to
    re-run, a re-run rewrites the same files."""
    from zoo.files import atomic_write_bytes

    sources = tuple(sources)
    _check_sources(sources)
    check_installed(sources, root)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.time()
    per_source = {}
    records = corpus(sources, root, min_words, max_words, progress, stats=per_source)
    parts = split_records(records)
    for split, part in parts.items():
        for domain in DOMAINS:
            lines = "".join(f"{r.english}\t{r.german}\t{r.source}\n" for r in part
                            if r.domain == domain)
            atomic_write_bytes(out / tsv_name(split, domain), lines.encode("utf-8"))
    domains = collections.Counter(r.domain for r in records)
    stats = dict(
        settings=dict(sources=list(sources), min_words=min_words, max_words=max_words,
                      root=str(root)),
        packages=_versions([p for s in sources for p in SOURCES[s][1]]) if str(root) == "/"
        else {},
        system_catalogues=[p.name for p in catalogues.system_catalogues(
            _under(root, catalogues.DEFAULT_SYSTEM))] if "system-ui" in sources else [],
        sources=per_source,
        total=len(records),
        sentences=sum(is_sentence(r.english) and is_sentence(r.german) for r in records),
        domains={d: domains[d] for d in DOMAINS},
        splits=count_table(parts),
        seconds=round(time.time() - start, 1))
    atomic_write_bytes(out / STATS_FILE, (json.dumps(stats, indent=2, ensure_ascii=False)
                                          + "\n").encode("utf-8"))
    return stats


def load_built(directory, split, domain=None):
    """`[(english, german), ...]` of one split (and domain, or all three in DOMAINS
    order) of a `build` directory."""
    from zoo.data.pairs import load_tsv

    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got {split!r}")
    pairs = []
    for d in (DOMAINS if domain is None else (domain,)):
        if d not in DOMAINS:
            raise ValueError(f"domain must be one of {DOMAINS} or None; got {d!r}")
        path = Path(directory) / tsv_name(split, d)
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: build the corpus first "
                                    f"(`python -m zoo.data.translation build --out {directory}`)")
        if path.stat().st_size:
            pairs.extend(load_tsv(path))
    return pairs


def format_stats(stats):
    """A plain-text table of a build's stats."""
    lines = [f"{'source':<17}{'domain':<14}{'read':>8}{'distinct':>10}{'kept':>8}"
             f"{'sentences':>11}"]
    for name, s in stats["sources"].items():
        lines.append(f"{name:<17}{s['domain']:<14}{s['read']:>8}{s['distinct']:>10}"
                     f"{s['kept']:>8}{s['sentences_kept']:>11}")
    lines.append(f"{'all':<17}{'':<14}{'':>8}{'':>10}{stats['total']:>8}{stats['sentences']:>11}")
    lines.append("")
    lines.append(f"{'split':<12}" + "".join(f"{d:>15}" for d in (*DOMAINS, "all", "sentences")))
    for split, row in stats["splits"].items():
        lines.append(f"{split:<12}" + "".join(f"{row[d]:>15}"
                                               for d in (*DOMAINS, "all", "sentences")))
    return "\n".join(lines)


def main(argv=None):
    """`python -m zoo.data.translation build --out DIR [--sources a,b] [--min-words N]
    [--max-words N] [--no-progress]` and `stats --out DIR`."""
    p = argparse.ArgumentParser(prog="python -m zoo.data.translation",
                                description="Build the English-German corpus from Debian "
                                            "packages (zoo.data.en_de).")
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="read the installed packages, write TSV per split and "
                                     "domain and stats.json (safe to re-run)")
    b.add_argument("--out", required=True, help="output directory")
    b.add_argument("--sources", default=",".join(SOURCES),
                   help=f"comma list of {','.join(SOURCES)} (default: all)")
    b.add_argument("--min-words", type=int, default=MIN_WORDS)
    b.add_argument("--max-words", type=int, default=MAX_WORDS)
    b.add_argument("--root", default="/", help=argparse.SUPPRESS)  # tests: a fake file tree
    b.add_argument("--no-progress", action="store_true")
    s = sub.add_parser("stats", help="print the counts of a built directory")
    s.add_argument("--out", required=True)
    args = p.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        if args.cmd == "build":
            sources = tuple(s for s in args.sources.split(",") if s)
            stats = build(args.out, sources, args.root, args.min_words, args.max_words,
                          progress=not args.no_progress)
            print(format_stats(stats))
            print(f"{stats['total']} pairs in {stats['seconds']} s -> {args.out}")
        else:
            path = Path(args.out) / STATS_FILE
            if not path.is_file():
                raise FileNotFoundError(f"{path} not found: build the corpus first (`python -m "
                                        f"zoo.data.translation build --out {args.out}`)")
            print(format_stats(json.loads(path.read_text(encoding="utf-8"))))
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


__all__ = ["PACKAGES", "Record", "SOURCES", "SPLITS", "STATS_FILE", "build", "check_installed",
           "corpus", "count_table", "format_stats", "load_built", "main", "missing_packages",
           "of_domain", "split_records", "tsv_name"]
