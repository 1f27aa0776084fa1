"""Translation by source length: does attention pay as sentences grow?

    python -m benchmarks.translation [--quick] [--out benchmarks/results]
    python -m benchmarks.translation --runs RUN [RUN ...]     # training runs, >= 1 seed each

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
  each model. Writes `translation_seeds.json` / `.md`, which the default
  run shows beside its own table when present.
"""

from __future__ import annotations

import argparse
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


def aggregate_runs(runs):
    """Rows `{model, bucket, low, n, seeds, bleu_*, chrf_*, exact_*}` (`_mean`, `_std`)
    over the seed runs (beam search scores of each run's training.json): bucket "all"
    (low -1) is the whole test split, a length bucket has its lower bound as `low`, and a
    test group (en-de domain, numbers form; low -2, `group` true) its name as bucket."""
    from benchmarks.seeds import mean_std

    table = {}
    for run in runs:
        run = Path(run)
        results = json.loads((run / "results.json").read_text())
        details = json.loads((run / "training.json").read_text())
        beam = next(v for k, v in details["scores"].items() if k.startswith("keras_beam"))
        whole = dict(bucket="all", low=-1, n=sum(b["n"] for b in beam["by_length"]),
                     bleu=beam["bleu"], chrf=beam.get("chrf"), exact_match=beam["exact_match"])
        lengths = [dict(b, exact_match=e["exact_match"])
                   for b, e in zip(beam["by_length"], beam["exact_match_by_length"])]
        groups = [dict(bucket=g, low=-2, n=v.get("sentences", v.get("n")), bleu=v.get("bleu"),
                       chrf=v.get("chrf"), exact_match=v.get("exact_match"), group=True)
                  for g, v in beam.get("by_domain", {}).items()]
        for b in [whole, *lengths, *groups]:
            cell = table.setdefault((results["model"], b["low"], b["bucket"]),
                                    {"n": b["n"], "group": b.get("group", False), "order": len(table),
                                     "bleu": [], "chrf": [], "exact": [], "seeds": []})
            for key, value in (("bleu", b.get("bleu")), ("chrf", b.get("chrf")),
                               ("exact", b.get("exact_match"))):
                cell[key].append(value)
            cell["seeds"].append(details.get("seed"))
    rows = []
    # by model, then whole split, test groups in the runs' order, length buckets
    for (model, low, bucket), c in sorted(table.items(), key=lambda kv: (kv[0][0], kv[0][1],
                                                                         kv[1]["order"])):
        row = dict(model=model, bucket=bucket, low=low, n=c["n"], seeds=c["seeds"])
        if c["group"]:
            row["group"] = True
        for key in ("bleu", "chrf", "exact"):
            row[f"{key}_mean"], row[f"{key}_std"] = mean_std(c[key])
        rows.append(row)
    return rows


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
             "Mean ± std over the seeds of each model's runs (`--runs`; the number of seeds "
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
    p.add_argument("--runs", nargs="*", default=None, help="training runs to aggregate instead")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    p.add_argument("--data-dir", default=None,
                   help="the built en-de corpus (python -m zoo.data.translation build --out "
                        "DIR); default: read the installed packages")
    args = p.parse_args(argv)
    from benchmarks.results_io import write_results

    out = Path(args.out)
    if args.runs:
        missing = [r for r in args.runs if not (Path(r) / "training.json").is_file()]
        if missing:
            p.error(f"not a finished training run (no training.json): {missing[0]}")
        rows = aggregate_runs(args.runs)
        write_results(out, "translation_seeds", {"rows": rows, "runs": [str(r) for r in args.runs]},
                      seeds_markdown(rows))
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
