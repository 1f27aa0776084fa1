"""Translation by source length: does attention pay as sentences grow?

    python -m benchmarks.translation [--quick] [--out benchmarks/results]
    python -m benchmarks.translation --runs RUN [RUN ...]     # training runs, >= 1 seed each
    python -m benchmarks.translation --add RUN [RUN ...]      # more runs into the stored table

Task (b) of the long-range benchmark (Bahdanau et al. 2014, Fig. 2: BLEU of
the encoder-decoder without attention falls as sentences grow; the attention
model holds). Two sources of figures, kept apart:

* default: the shipped translators (`zoo/pretrained/mt-*`, seed 0) decode
  the fixed test split now (Keras, greedy; `--quick`: the first 400
  sentences of each corpus): BLEU and chrF per source-length bucket for
  `mt-en-de-*` (FreeDict), exact match per bucket for `mt-numbers-*`.
  Writes `translation.json` / `.md` / `.png`.
* `--runs`: the `training.json` of training runs (`zoo train mt-... --seed S
  --out RUN`), beam search scores by length, mean ± std over the seeds of
  each model, and attention minus its twin seed by seed. Writes
  `translation_seeds.json` / `.md` (the JSON keeps each run's scores, so
  `--add` can add a seed trained later without the earlier run folders),
  which the default run shows beside its own table when present.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = {"mt-en-de": ("bleu", ["mt-en-de-bahdanau", "mt-en-de-luong", "mt-en-de-seq2seq"]),
            "mt-numbers-en-de": ("exact_match", ["mt-numbers-en-de-bahdanau",
                                                 "mt-numbers-en-de-seq2seq"])}
QUICK_SENTENCES = 400


def measure_shipped(quick=False, log=print, data_dir=None):
    """Rows `{model, bucket, low, n, bleu, chrf, exact_match}` of the shipped models (by
    source length, and `low` -2 rows `group=...` per test group: en-de domain or numbers
    form), scored as the trainer scores its test split (`zoo.models.translation.train`:
    the same test pairs, `load_splits` and `score`), each with its own settings (a model
    trained before its family changed is read with its own config)."""
    from argparse import Namespace

    from zoo import api, registry
    from zoo.models.translation import models, translate
    from zoo.models.translation import train as mt_train

    rows = []
    for family, (_, names) in FAMILIES.items():
        for name in names:
            if registry.find_artifacts(name) is None:
                log(f"{name}: not shipped, skipped")
                continue
            spec = models.settings(name)
            ns = Namespace(tsv=None, data_dir=data_dir,
                           max_test=QUICK_SENTENCES // 4 if quick else None)
            parts, data = mt_train.load_splits(ns, spec)
            pairs, groups = parts["test"], data.get("test_domains")
            vocabs = translate.vocabularies(name)
            # as the trainer scores: sources over the model's length are cut, not refused
            src = mt_train.encode_pairs(pairs, vocabs, spec)[0]
            model = api.load(name, compile=False)
            hyps = mt_train.decode_in_chunks(translate.keras_backend(model), src, beam=1)
            scores, _, _ = mt_train.score(hyps, pairs, vocabs[1], spec, groups)
            for b, e in zip(scores["by_length"], scores["exact_match_by_length"]):
                rows.append(dict(family=family, model=name, bucket=b["bucket"], low=b["low"],
                                 n=b["n"], bleu=b["bleu"], chrf=b["chrf"],
                                 exact_match=e["exact_match"]))
            for group, g in scores["by_domain"].items():
                rows.append(dict(family=family, model=name, bucket=group, low=-2,
                                 n=g["sentences"], bleu=g["bleu"], chrf=g["chrf"],
                                 exact_match=g["exact_match"], group=True))
            log(f"{name}: greedy BLEU {scores['bleu']:.2f}, chrF {scores['chrf']:.2f}, exact "
                f"{scores['exact_match']:.4f} on {len(pairs)} test sentences")
    return rows


EXAMPLES = 10


def examples(name="mt-en-de-bahdanau", n=EXAMPLES, seed=0, data_dir=None):
    """`n` general-language test pairs drawn with `seed` (not chosen by hand), translated
    by `name` as `zoo.translate` does (beam 4): `[{source, reference, translation}]`."""
    import random

    from zoo.data import translation
    from zoo.models.translation import translate

    if data_dir:
        from zoo.data.en_de.combine import load_built

        pairs = load_built(data_dir, "test", "general")
    else:
        pairs = translation.load("en-de", "test", domain="general")
    picked = random.Random(seed).sample(pairs, n)
    out = translate.translate(name, [p[0] for p in picked])
    return [dict(source=p[0], reference=p[1], translation=t) for p, t in zip(picked, out)]


def examples_markdown(rows, name="mt-en-de-bahdanau", seed=0):
    lines = [f"## {len(rows)} general-language test sentences, drawn with seed {seed}", "",
             f"`{name}`, beam 4, as `zoo.translate` returns them; the reference is the "
             "corpus's German.", "", "| English | reference | translation |", "|---|---|---|"]
    esc = [lambda t: t.replace("|", "\\|")][0]
    lines += [f"| {esc(r['source'])} | {esc(r['reference'])} | {esc(r['translation'])} |"
              for r in rows]
    return "\n".join(lines) + "\n"


def run_record(run):
    """One training run's beam-search scores (its `training.json`): `{model, seed, run,
    buckets}`, a bucket `{bucket, low, n, bleu, chrf, exact_match[, group]}`: "all" (low -1)
    the whole test split, a length bucket its lower bound as `low`, a test group (en-de
    domain, numbers form; low -2, `group` true) its name as bucket."""
    run = Path(run)
    results = json.loads((run / "results.json").read_text())
    details = json.loads((run / "training.json").read_text())
    beam = next(v for k, v in details["scores"].items() if k.startswith("keras_beam"))
    whole = dict(bucket="all", low=-1, n=sum(b["n"] for b in beam["by_length"]),
                 bleu=beam["bleu"], chrf=beam.get("chrf"), exact_match=beam["exact_match"])
    lengths = [dict(bucket=b["bucket"], low=b["low"], n=b["n"], bleu=b.get("bleu"),
                    chrf=b.get("chrf"), exact_match=e["exact_match"])
               for b, e in zip(beam["by_length"], beam["exact_match_by_length"])]
    groups = [dict(bucket=g, low=-2, n=v.get("sentences", v.get("n")), bleu=v.get("bleu"),
                   chrf=v.get("chrf"), exact_match=v.get("exact_match"), group=True)
              for g, v in beam.get("by_domain", {}).items()]
    return dict(model=results["model"], seed=details.get("seed"), run=str(run),
                buckets=[whole, *lengths, *groups])


def aggregate(records):
    """Rows `{model, bucket, low, n, seeds, bleu_*, chrf_*, exact_*}` (`_mean`, `_std`) over
    the per-run records (`run_record`), by model, then the whole split, test groups in the
    runs' order, length buckets."""
    from benchmarks.seeds import mean_std

    table = {}
    for record in records:
        for b in record["buckets"]:
            cell = table.setdefault((record["model"], b["low"], b["bucket"]),
                                    {"n": b["n"], "group": b.get("group", False), "order": len(table),
                                     "bleu": [], "chrf": [], "exact": [], "seeds": []})
            for key, value in (("bleu", b.get("bleu")), ("chrf", b.get("chrf")),
                               ("exact", b.get("exact_match"))):
                cell[key].append(value)
            cell["seeds"].append(record["seed"])
    rows = []
    for (model, low, bucket), c in sorted(table.items(), key=lambda kv: (kv[0][0], kv[0][1],
                                                                         kv[1]["order"])):
        row = dict(model=model, bucket=bucket, low=low, n=c["n"], seeds=c["seeds"])
        if c["group"]:
            row["group"] = True
        for key in ("bleu", "chrf", "exact"):
            row[f"{key}_mean"], row[f"{key}_std"] = mean_std(c[key])
        rows.append(row)
    return rows


def aggregate_runs(runs):
    """`aggregate` over the training runs (folders) `runs`."""
    return aggregate([run_record(r) for r in runs])


def stored_records(stored):
    """The per-run records a stored `translation_seeds.json` holds: its `per_run`, or, in a
    file written before it kept them, the models measured on one seed (their rows are that
    run's values). -> `(records, {model: seeds} of the rows no record can be split from)`."""
    if "per_run" in stored:
        records = list(stored["per_run"])
    else:
        by_model = {}
        for row in stored["rows"]:
            by_model.setdefault(row["model"], []).append(row)
        records = [_record_from_rows(model, rows, stored.get("runs", []))
                   for model, rows in by_model.items() if len(rows[0]["seeds"]) == 1]
    have = {r["model"] for r in records}
    merged = {row["model"]: row["seeds"] for row in stored["rows"] if row["model"] not in have}
    return records, merged


def _record_from_rows(model, rows, runs):
    """The record of a model a stored table holds over one seed (its rows are that run)."""
    buckets = []
    for row in rows:
        bucket = dict(bucket=row["bucket"], low=row["low"], n=row["n"], bleu=row["bleu_mean"],
                      chrf=row["chrf_mean"], exact_match=row["exact_mean"])
        if row.get("group"):
            bucket["group"] = True
        buckets.append(bucket)
    # rows are stored groups first: put the whole split first, as `run_record` does
    buckets.sort(key=lambda b: b["low"] == -2)
    return dict(model=model, seed=rows[0]["seeds"][0], buckets=buckets,
                run=next((r for r in runs if Path(r).name == model), None))


def add_records(stored, new):
    """The records of a stored table with the `new` ones added (a new record replaces the
    stored one of its model and seed) and the stored rows kept as they are for the models
    with no new run that cannot be split into runs. -> `(records, kept_rows)`."""
    records, merged = stored_records(stored)
    clash = sorted({r["model"] for r in new} & set(merged))
    if clash:
        raise ValueError(
            f"the stored table holds {clash[0]} over seeds {merged[clash[0]]} without per-run "
            f"values, so a new run of it cannot be added: give every run of {clash[0]} "
            "(--runs) instead")
    fresh = {(r["model"], r["seed"]) for r in new}
    records = [r for r in records if (r["model"], r["seed"]) not in fresh] + list(new)
    kept = [row for row in stored["rows"] if row["model"] in merged]
    return records, kept


def gaps(records, pairs=None):
    """Attention minus its twin, by bucket, over the seeds both were trained with (BLEU for
    en-de, exact match for numbers): rows `{model, twin, bucket, low, seeds, gap_mean,
    gap_std, wins}` (`wins`: the seeds where the attention model scores higher)."""
    from benchmarks.seeds import mean_std
    from zoo import registry

    pairs = registry.baseline_pairs() if pairs is None else pairs
    metric = {name: m for m, names in FAMILIES.values() for name in names}
    by = {(r["model"], r["seed"]): {b["bucket"]: b for b in r["buckets"]} for r in records}
    rows = []
    for model, twin in sorted(pairs.items()):
        seeds = sorted({s for m, s in by if m == model} & {s for m, s in by if m == twin})
        if model not in metric or not seeds:
            continue
        key = "bleu" if metric[model] == "bleu" else "exact_match"
        scale = 1 if key == "bleu" else 100
        # the whole split, length buckets, then test groups (low -2) in the runs' order
        order = {b["bucket"]: (b["low"] == -2, b["low"], i) for i, b in enumerate(
            next(r for r in records if r["model"] == model and r["seed"] == seeds[0])["buckets"])}
        for bucket in sorted(order, key=order.get):
            diffs = {}
            for s in seeds:
                a, b = by[(model, s)].get(bucket), by[(twin, s)].get(bucket)
                if a and b and a["n"] and a.get(key) is not None and b.get(key) is not None:
                    diffs[s] = scale * (a[key] - b[key])
            if not diffs:
                continue
            mean, std = mean_std(list(diffs.values()))
            rows.append(dict(model=model, twin=twin, bucket=bucket, low=order[bucket][1],
                             seeds=list(diffs), gap_mean=mean, gap_std=std,
                             wins=sum(d > 0 for d in diffs.values()), metric=key))
    return rows


def gaps_markdown(rows):
    if not rows:
        return ""
    lines = ["## Attention minus its twin, seed by seed", "",
             "Over the seeds both models were trained with (BLEU points for mt-en-de-*, exact "
             "match points for mt-numbers-*): mean ± std of the difference, and on how many "
             "seeds the attention model scores higher.", ""]
    for (model, twin), group in itertools.groupby(rows, lambda r: (r["model"], r["twin"])):
        group = list(group)
        buckets = [r["bucket"] for r in group]
        lines += [f"**{model} − {twin}** (seeds {group[0]['seeds']})", "",
                  "| | " + " | ".join(buckets) + " |", "|---|" + "---|" * len(buckets),
                  "| gap | " + " | ".join(
                      f"{r['gap_mean']:+.1f}" + (f" ± {r['gap_std']:.1f}" if len(r["seeds"]) > 1
                                                 else "") for r in group) + " |",
                  "| attention higher | " + " | ".join(
                      f"{r['wins']}/{len(r['seeds'])}" for r in group) + " |", ""]
    return "\n".join(lines)


def _f(v, fmt=".1f"):
    return "–" if v is None else format(v, fmt)


def markdown(result, seeds=None):
    lines = ["# Translation by source length: attention vs none", "",
             "Shipped models (seed 0) decoding the fixed test split now, Keras greedy"
             + (f", first {QUICK_SENTENCES // 4} test sentences per domain" if result["quick"]
                else "")
             + ". BLEU / chrF: sacrebleu, one reference, as each model's tokenizer reads the "
             "reference (cased for a cased model, case-folded for the older FreeDict models); "
             "en-de: the first 1,000 test pairs of each domain (`zoo.data.en_de`); exact "
             "match: numbers and dates in ten written forms (`zoo.data.numbers`, synthetic). "
             "Each model is scored with its own settings (`models.settings`): a model not "
             "retrained since its family changed reads the new test split with its old "
             "vocabulary and limits.", ""]
    for family, (metric, names) in FAMILIES.items():
        every = [r for r in result["rows"] if r["family"] == family]
        present = [n for n in names if any(r["model"] == n for r in every)]
        if not present:
            continue
        lines += _group_table(family, metric, present, [r for r in every if r.get("group")])
        rows = [r for r in every if not r.get("group")]
        buckets = sorted({(r["low"], r["bucket"]) for r in rows})
        what = "BLEU (chrF)" if metric in ("bleu", "chrf") else "exact match %"
        lines += [f"**{family}**: {what} by English source length (words)", "",
                  "| source words | n | " + " | ".join(present) + " |",
                  "|---|---|" + "---|" * len(present)]
        by = {(r["model"], r["bucket"]): r for r in rows}
        for _, bucket in buckets:
            cells, n = [], 0
            for name in present:
                r = by.get((name, bucket))
                n = r["n"] if r else n
                if r is None or not r["n"]:
                    cells.append("–")
                elif metric in ("bleu", "chrf"):
                    cells.append(f"{_f(r['bleu'])} ({_f(r['chrf'])})")
                else:
                    cells.append(_f(None if r["exact_match"] is None else 100 * r["exact_match"]))
            lines.append(f"| {bucket} | {n} | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append("![score against source length](translation.png)")
    if seeds:
        lines += ["", seeds]
    return "\n".join(lines) + "\n"


def _group_table(family, metric, present, rows):
    """Markdown lines: one row per test group (en-de domain, numbers form)."""
    if not rows:
        return []
    by = {(r["model"], r["bucket"]): r for r in rows}
    groups = list(dict.fromkeys(r["bucket"] for r in rows))
    text = metric in ("bleu", "chrf")
    lines = [f"**{family}**: {'BLEU (chrF)' if text else 'exact match %'} by "
             f"{'domain' if text else 'form'}", "",
             f"| {'domain' if text else 'form'} | n | " + " | ".join(present) + " |",
             "|---|---|" + "---|" * len(present)]
    for group in groups:
        got = [by.get((name, group)) for name in present]
        n = next((r["n"] for r in got if r), 0)
        cells = ["–" if r is None else (f"{_f(r['bleu'])} ({_f(r['chrf'])})" if text else
                                        _f(100 * r["exact_match"])) for r in got]
        lines.append(f"| {group} | {n} | " + " | ".join(cells) + " |")
    return lines + [""]


def _seed_cell(row, key, scale=1):
    """`mean ± std (seeds)`, the value alone for one seed, "–" for none."""
    if not row or not row["n"] or row[f"{key}_mean"] is None:
        return "–"
    mean = row[f"{key}_mean"]
    if len(row["seeds"]) > 1:
        return f"{_f(scale * mean)} ± {_f(scale * row[f'{key}_std'])} ({len(row['seeds'])})"
    return _f(scale * mean)


def seeds_markdown(rows):
    lines = ["## Over training seeds (beam search, from the training runs)", "",
             "Mean ± std over the seeds of each model's runs (`--runs`, `--add`; the number of seeds "
             "in brackets, one seed shows its value alone): BLEU by length and BLEU / chrF "
             "by domain for mt-en-de-*, exact match % for mt-numbers-*. Seed 0 of a model "
             "is its shipped folder (`zoo/pretrained/NAME`), the other seeds are runs of its "
             "card's retrain command with `--seed S`.", ""]
    by = {(r["model"], r["bucket"]): r for r in rows}
    for family, (metric, names) in FAMILIES.items():
        models = [n for n in names if any(r["model"] == n for r in rows)]
        if not models:
            continue
        key, scale = ("bleu", 1) if metric == "bleu" else ("exact", 100)
        buckets = sorted({(r["low"], r["bucket"]) for r in rows
                          if r["model"] in models and not r.get("group")})
        lines += [f"**{family}** by source length", "",
                  "| model | " + " | ".join(b for _, b in buckets) + " |",
                  "|---|" + "---|" * len(buckets)]
        lines += [f"| {model} | " + " | ".join(_seed_cell(by.get((model, b)), key, scale)
                                               for _, b in buckets) + " |" for model in models]
        lines.append("")
        groups = list(dict.fromkeys(r["bucket"] for r in rows
                                    if r["model"] in models and r.get("group")))
        if groups:
            lines += [f"**{family}** by {'domain' if metric == 'bleu' else 'form'}"
                      + (" (BLEU; chrF)" if metric == "bleu" else ""), "",
                      "| model | " + " | ".join(groups) + " |", "|---|" + "---|" * len(groups)]
            for model in models:
                cells = [_seed_cell(by.get((model, g)), key, scale) +
                         (f"; {_seed_cell(by.get((model, g)), 'chrf')}" if metric == "bleu" else "")
                         for g in groups]
                lines.append(f"| {model} | " + " | ".join(cells) + " |")
            lines.append("")
    lines.append("![score against source length, mean ± std over seeds](translation_seeds.png)")
    return "\n".join(lines)


def _shipped_value(row, metric):
    return (row["bleu"] if metric == "bleu" else 100 * row["exact_match"]), None


def _seed_value(row, metric):
    if metric == "bleu":
        return row["bleu_mean"], row["bleu_std"]
    return 100 * row["exact_mean"], 100 * row["exact_std"]


def plot(rows, path, value=_shipped_value, title=""):
    """Score against source length, one panel per family; `value(row, metric) -> (y, err)`
    (error bars where `err` is given)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from zoo.files import atomic_path

    fig = Figure(figsize=(10, 4))
    FigureCanvasAgg(fig)
    for i, (family, (metric, names)) in enumerate(FAMILIES.items()):
        ax = fig.add_subplot(1, 2, i + 1)
        for name in names:
            pts = sorted((r for r in rows if r["model"] == name and r["n"] and r["low"] >= 0),
                         key=lambda r: r["low"])
            if not pts:
                continue
            ys, errs = zip(*(value(r, metric) for r in pts))
            ax.errorbar([r["bucket"] for r in pts], ys,
                        yerr=None if errs[0] is None else errs, marker="o", capsize=3,
                        label=name)
        ax.set_xlabel("English source length (words)")
        ax.set_ylabel("test BLEU" if metric == "bleu" else "exact match (%)")
        ax.set_title(f"{family}{title}")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help=f"first {QUICK_SENTENCES} test sentences per corpus")
    runs = p.add_mutually_exclusive_group()
    runs.add_argument("--runs", nargs="*", default=None, help="training runs to aggregate instead")
    runs.add_argument("--add", nargs="+", default=None, metavar="RUN",
                      help="training runs to add to the stored translation_seeds.json of --out "
                           "(a run of a model and seed already there replaces it): seeds trained "
                           "at different times, whose earlier run folders are gone")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    p.add_argument("--data-dir", default=None,
                   help="the built en-de corpus (python -m zoo.data.translation build --out "
                        "DIR); default: read the installed packages")
    args = p.parse_args(argv)
    from benchmarks.results_io import write_results

    out = Path(args.out)
    given = args.runs or args.add
    if given:
        missing = [r for r in given if not (Path(r) / "training.json").is_file()]
        if missing:
            p.error(f"not a finished training run (no training.json): {missing[0]}")
        records, kept, runs = [run_record(r) for r in given], [], [str(r) for r in given]
        if args.add:
            stored_path = out / "translation_seeds.json"
            if not stored_path.is_file():
                p.error(f"--add adds runs to {stored_path}, which does not exist: aggregate "
                        "the first runs with --runs")
            stored = json.loads(stored_path.read_text())
            try:
                records, kept = add_records(stored, records)
            except ValueError as e:
                p.error(str(e))
            runs = list(dict.fromkeys([*stored.get("runs", []), *runs]))
        rows = aggregate(records) + kept
        rows.sort(key=lambda r: r["model"])   # stable: each model's rows keep their order
        gap_rows = gaps(records)
        write_results(out, "translation_seeds",
                      {"rows": rows, "runs": runs, "per_run": records, "gaps": gap_rows},
                      seeds_markdown(rows) + ("\n\n" + gaps_markdown(gap_rows) if gap_rows
                                              else ""))
        plot(rows, out / "translation_seeds.png", _seed_value, ", mean ± std over seeds")
        return 0
    rows = measure_shipped(args.quick, data_dir=args.data_dir)
    seeds_md = out / "translation_seeds.md"
    seeds = seeds_md.read_text() if seeds_md.is_file() else None
    picked = examples(data_dir=args.data_dir)
    result = {"quick": args.quick, "rows": rows, "examples": picked}
    write_results(out, "translation", result,
                  markdown(result, seeds) + "\n" + examples_markdown(picked))
    plot(rows, out / "translation.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
