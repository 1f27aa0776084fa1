"""Model cards from measured results, never from hand-typed figures.

    python -m zoo.cards NAME --results train.json export.json [--out DIR]

reads one or more *results* JSON files written by the scripts that trained
and measured model NAME, and writes `card.json` and `card.md` into the
model's artifact directory (default: the one `zoo.registry.find_artifacts`
finds, else `$ZOO_HOME/NAME/`), then refreshes their lines in `SHA256SUMS`.
Every number in the card is copied from the results (the only derived ones
are the attention-minus-baseline difference and the file-size check);
anything the results lack renders as "not measured".

Results JSON schema (`"schema": "attention-rnn-zoo/results/1"`)
------------------------------------------------------------------
All sections are optional except `schema` and `model`::

    {
      "schema": "attention-rnn-zoo/results/1",
      "model": "kws-gru",                       # must equal NAME
      "architecture": "Conv1D -> BiGRU -> attention pooling -> softmax",
      "parameters": 123456,                     # model.count_params()
      "data": {
        "name": "Speech Commands v2",
        "source": "https://... or the generator's dotted path",
        "license": "CC-BY-4.0",
        "synthetic": false,                     # true: the card says so plainly
        "description": "...",
        "splits": {"train": 84843, "validation": 9981, "test": 11005}
      },
      "metrics_split": "test",                  # which split `metrics` are on
      "metrics": {                              # per variant: "keras" or a mode
        "keras": {"accuracy": 0.951, "loss": 0.18},
        "float32": {"accuracy": 0.951}, "int8": {"accuracy": 0.948}
      },
      "exports": {                              # per mode of export.MODES
        "int8": {
          "size_bytes": 98304,                  # must equal the shipped file's size
          "p50_ms_1t": 1.9,                     # latency p50, 1 thread, one example
          "report": {...},                      # export.ExportReport.to_dict(): op_histogram,
                                                #   builtin_only, gpu_compatible,
                                                #   gpu_blocking_ops, gpu_undocumented_ops
          "webgpu": {"status": "ok",            # measured by `python -m web_demo.gpu_check`
                     "max_abs_diff_vs_keras": 1.3e-07, "reason": null}
        }
      },
      "comparison": {
        "metric": "accuracy", "split": "test",
        "attention": {"name": "kws-gru", "value": 0.951, "parameters": 123456},
        "baseline": {"name": "BiGRU + mean pooling", "value": 0.932, "parameters": 120000}
      },
      "limitations": ["..."],
      "reproduce": {"train": "zoo train kws-gru --epochs 30",
                    "measure": "python -m benchmarks.kws --out results/"},
      "environment": {"tensorflow": "2.21.0", "cpu": "..."}
    }

Several files are merged: dictionaries recursively, lists concatenated
(duplicates dropped); two files giving different values for the same field
is an error (`ResultsError`), never a silent choice.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import sys
from pathlib import Path

from zoo import registry
from zoo.data import sources as data_sources
from zoo.registry import CARD_JSON, CARD_MD, LABELS_FILE, MODES

RESULTS_SCHEMA = "attention-rnn-zoo/results/1"
CARD_SCHEMA = "attention-rnn-zoo/card/1"
NOT_MEASURED = "not measured"
SECTIONS = ("architecture", "parameters", "data", "metrics", "exports", "comparison",
            "limitations", "reproduce")
VARIANTS = ("keras",) + MODES
REPORT_FIELDS = ("op_histogram", "builtin_only", "gpu_compatible", "gpu_blocking_ops",
                 "gpu_undocumented_ops")
#: The licence of this project's code and of the weights it trains (LICENSE, pyproject).
LICENSE = "apache-2.0"
LIBRARY_NAME = "keras"
#: The exporter of families without their own (`zoo export NAME`).
DEFAULT_EXPORTER = "export.to_tflite"
#: What `report["recurrent"]` of an export says about the file.
LAYOUTS = {
    "stepped": "recurrent layers cut into one-step signatures; a plan in the file's metadata "
               "(`zoo_plan`) tells the host loop in which order to call them "
               "(`export.runtime` runs it); standard TFLite Metadata beside it (name, "
               "version, licence, `labels.txt` of a classifier, subgraph 0 described as the "
               "stage it is)",
    "keras": "recurrent layers converted as TFLite WHILE loops (one call per input)",
    "single": "one signature (`serving_default`), one invoke: the recurrence unrolled in the "
              "graph (fused gates, each weight stored once), the log-mel front end float in "
              "integer files, and in int8 files the unrolled recurrent steps and the head "
              "after them float with int8 weights (each matmul quantizes its input at the "
              "call's own range); any stock TFLite runtime runs it with no code of ours",
}
FRONT_MATTER = "---"


class ResultsError(ValueError):
    """A results file that does not follow the schema, or disagrees with
    another results file or with the shipped files."""


# ------------------------------------------------------------------ reading


def _is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _merge(into, new, where, source):
    for key, value in new.items():
        path = f"{where}.{key}" if where else key
        if key not in into:
            into[key] = value
        elif isinstance(into[key], dict) and isinstance(value, dict):
            _merge(into[key], value, path, source)
        elif isinstance(into[key], list) and isinstance(value, list):
            into[key] = into[key] + [v for v in value if v not in into[key]]
        elif into[key] != value:
            raise ResultsError(f"{source}: {path} = {value!r} disagrees with {into[key]!r} from "
                               "an earlier results file")
    return into


def _validate(results, name, source):
    def bad(path, want):
        raise ResultsError(f"{source}: {path} must be {want}; see the schema in "
                           "`python -m zoo.cards --help`")

    if results.get("schema") != RESULTS_SCHEMA:
        bad("schema", f"{RESULTS_SCHEMA!r} (got {results.get('schema')!r})")
    if results.get("model") != name:
        raise ResultsError(f"{source}: results are for model {results.get('model')!r}, "
                           f"not {name!r}")
    unknown = set(results) - {"schema", "model", "metrics_split", "environment", "streaming",
                              *SECTIONS}
    if unknown:
        raise ResultsError(f"{source}: unknown top-level field(s) {sorted(unknown)}")
    if "parameters" in results and not (isinstance(results["parameters"], int)
                                        and not isinstance(results["parameters"], bool)
                                        and results["parameters"] > 0):
        bad("parameters", "a positive integer")
    for key in ("architecture", "metrics_split"):
        if key in results and not isinstance(results[key], str):
            bad(key, "a string")
    data = results.get("data", {})
    if not isinstance(data, dict):
        bad("data", "an object")
    if "synthetic" in data and not isinstance(data["synthetic"], bool):
        bad("data.synthetic", "true or false")
    for split, n in (data.get("splits") or {}).items():
        if not (isinstance(n, int) and not isinstance(n, bool) and n >= 0):
            bad(f"data.splits.{split}", "a count of examples")
    for variant, values in (results.get("metrics") or {}).items():
        if variant not in VARIANTS:
            bad(f"metrics.{variant}", f"one of {', '.join(VARIANTS)}")
        if not isinstance(values, dict) or not all(_is_number(v) for v in values.values()):
            bad(f"metrics.{variant}", "an object of numbers")
    for mode, entry in (results.get("exports") or {}).items():
        if mode not in MODES:
            bad(f"exports.{mode}", f"one of {', '.join(MODES)}")
        if not isinstance(entry, dict):
            bad(f"exports.{mode}", "an object")
        for key in ("size_bytes", "p50_ms_1t"):
            if key in entry and not (_is_number(entry[key]) and entry[key] >= 0):
                bad(f"exports.{mode}.{key}", "a non-negative number")
        if "report" in entry and not isinstance(entry["report"], dict):
            bad(f"exports.{mode}.report", "an object (ExportReport.to_dict())")
        webgpu = entry.get("webgpu")
        if webgpu is not None and (not isinstance(webgpu, dict)
                                   or webgpu.get("status") not in ("ok", "FAIL")):
            bad(f"exports.{mode}.webgpu", "an object with status 'ok' or 'FAIL' "
                "(python -m web_demo.gpu_check --json)")
    comparison = results.get("comparison")
    if comparison is not None:
        for side in ("attention", "baseline"):
            value = comparison.get(side)
            if not isinstance(value, dict) or not _is_number(value.get("value")):
                bad(f"comparison.{side}", "an object with a numeric 'value'")
    streaming = results.get("streaming")
    if streaming is not None and not (isinstance(streaming, dict)
                                      and isinstance(streaming.get("files", {}), dict)):
        bad("streaming", "an object with \"files\" {mode: {...}} and \"operating_point\"")
    limitations = results.get("limitations", [])
    if not isinstance(limitations, list) or not all(isinstance(x, str) for x in limitations):
        bad("limitations", "a list of strings")
    reproduce = results.get("reproduce", {})
    if not isinstance(reproduce, dict) or not all(isinstance(x, str) for x in reproduce.values()):
        bad("reproduce", "an object of command strings")


def read_results(name, paths):
    """Merged, validated results of `paths` and their `[{file, sha256}]`."""
    merged, sources = {}, []
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"results file {str(path)!r} does not exist")
        raw = path.read_bytes()
        try:
            results = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ResultsError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(results, dict):
            raise ResultsError(f"{path}: must hold a JSON object")
        _validate(results, name, path)
        _merge(merged, results, "", path)
        sources.append({"file": path.name, "sha256": hashlib.sha256(raw).hexdigest()})
    return merged, sources


# ----------------------------------------------------------------- building


def _export_entry(name, mode, measured, out_dir):
    fname = registry.tflite_filename(name, mode)
    report = measured.get("report") or {}
    entry = {
        "file": fname,
        "size_bytes": measured.get("size_bytes", report.get("size_bytes")),
        "p50_ms_1t": measured.get("p50_ms_1t"),
        "ops": report.get("op_histogram"),
        "webgpu": measured.get("webgpu"),
    }
    for key in REPORT_FIELDS[1:]:
        entry[key] = report.get(key)
    static = None
    if "gpu_blocking_ops" in report and "gpu_undocumented_ops" in report:
        static = not (report["gpu_blocking_ops"] or report["gpu_undocumented_ops"])
    entry["gpu_documented_ops_only"] = report.get("gpu_documented_ops_only", static)
    entry["layout"] = report.get("recurrent")
    entry["signatures"] = report.get("signatures")
    webgpu_status = (entry["webgpu"] or {}).get("status")
    if webgpu_status in ("ok", "FAIL"):  # measured beats the exporter's static field
        entry["gpu_compatible"] = webgpu_status == "ok"
    elif entry["gpu_compatible"] is None and report.get("gpu_blocking_ops"):
        entry["gpu_compatible"] = False
    shipped = None if out_dir is None else Path(out_dir) / fname
    if shipped is not None and shipped.is_file() and entry["size_bytes"] is not None:
        actual = shipped.stat().st_size
        if actual != entry["size_bytes"]:
            raise ResultsError(
                f"exports.{mode}.size_bytes = {entry['size_bytes']} but {shipped} "
                f"has {actual} bytes: the results are stale; re-measure the exported files")
    return entry


def _labels(entry, out_dir):
    if out_dir is not None and (Path(out_dir) / LABELS_FILE).is_file():
        text = (Path(out_dir) / LABELS_FILE).read_text(encoding="utf-8")
        return [x.strip() for x in text.splitlines() if x.strip()]
    return list(entry.labels) if entry.labels is not None else None


def build_card(name, results_paths=(), out_dir=None, command=None):
    """The card dict of `name` from results files (see module doc).

    `out_dir`: the artifact directory, checked for stale file sizes and
    shipped modes; `command`: the `python -m zoo.cards` line to record.
    """
    entry = registry.get(name)
    results, sources = read_results(name, results_paths)
    data = results.get("data")
    comparison = results.get("comparison")
    if comparison is not None:
        comparison = dict(comparison)
        comparison["delta"] = comparison["attention"]["value"] - comparison["baseline"]["value"]
    modes = set(results.get("exports") or {})
    if out_dir is not None:
        modes |= {m for m in MODES if (Path(out_dir) / registry.tflite_filename(name, m)).is_file()}
    exports = {m: _export_entry(name, m, (results.get("exports") or {}).get(m, {}), out_dir)
               for m in MODES if m in modes}
    reproduce = dict(results.get("reproduce") or {})
    if command:
        reproduce["card"] = command
    card = {
        "card_schema": CARD_SCHEMA,
        "name": name,
        "task": entry.task,
        "description": entry.description,
        "builder": entry.builder_path,
        "input_spec": [{**s, "shape": list(s["shape"])} for s in entry.input_spec],
        "labels": _labels(entry, out_dir),
        "architecture": results.get("architecture"),
        "parameters": results.get("parameters"),
        "data": data,
        "data_statement": data_statement(data),
        "metrics_split": results.get("metrics_split"),
        "metrics": results.get("metrics"),
        "exports": exports or None,
        "comparison": comparison,
        "limitations": results.get("limitations"),
        "reproduce": reproduce or None,
        "trainer": entry.hook_path("trainer"),
        "environment": results.get("environment"),
        "sources": sources,
    }
    card["not_measured"] = [s for s in SECTIONS if not card.get(s)]
    if results.get("streaming"):  # only models that stream frame by frame have this section
        card["streaming"] = results["streaming"]
    family = entry.family
    card.update({
        "license": LICENSE,
        "library_name": LIBRARY_NAME,
        "pipeline_tag": family.pipeline_tag,
        "family": {"name": family.name, "task": family.task, "description": family.description,
                   "exporter": entry.hook_path("exporter") or DEFAULT_EXPORTER,
                   "variants": sorted(family.variants)},
        "baseline": entry.baseline,
        "attention": _has_attention(name),
        "tags": None,
        "data_licenses": data_licenses(data),
        "intended_use": intended_use(entry),
    })
    card["tags"] = tags(card)
    return card


def _has_attention(name):
    """True for a model with a no-attention twin, False for such a twin, else None."""
    pairs = registry.baseline_pairs()
    return True if name in pairs else False if name in pairs.values() else None


def data_licenses(data):
    """`[{name, license, ...}]` of the data's sources (`zoo.data.sources`); without a
    known loader, the results' own `data.name` and `data.license` ("unknown" if absent)."""
    if not data:
        return []
    found = data_sources.sources_of(data)
    if found:
        return found
    return [{"name": data.get("name") or "the data described in the card",
             "license": data.get("license") or data_sources.UNKNOWN,
             "evidence": "results data.license" if data.get("license") else None}]


def intended_use(entry):
    what = (entry.description or entry.family.description).rstrip(".")
    return (f"Research, teaching and on-device (TFLite) experiments with attention RNNs: "
            f"{what}. Measured only as stated in this card (its metrics and limitations); "
            "not evaluated for production use.")


def tags(card):
    """Hub tags: task, family, attention or not, TFLite and the shipped modes."""
    out = [card["task"], card["family"]["name"]]
    if card.get("attention") is not None:
        out.append("attention" if card["attention"] else "no-attention")
    if card.get("exports"):
        out += ["tflite", *card["exports"]]
    if (card.get("data") or {}).get("synthetic"):
        out.append("synthetic-data")
    return list(dict.fromkeys(out))


def data_statement(data):
    if not data:
        return None
    what = data.get("name") or "the data described below"
    if data.get("synthetic") is True:
        return (f"Synthetic data: this model was trained and evaluated on synthetic data "
                f"({what}), not on real recordings or text; its metrics measure the pipeline, "
                "not real-world accuracy.")
    if data.get("synthetic") is False:
        return f"Real data: {what}."
    return None


def _fmt(value, spec=""):
    if value is None:
        return NOT_MEASURED
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = format(value, spec or ".4g")
        return text if spec or not text.lstrip("-").isdigit() else text + ".0"
    if isinstance(value, int):
        return format(value, spec or ",")
    return str(value)


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return lines


# ------------------------------------------------------------- front matter

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
# Characters YAML does not allow unescaped in a double-quoted scalar, or reads as line
# breaks there (NEL, LS, PS).
_YAML_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"
                               "\ufffe\uffff]")


def _yaml_string(text):
    quoted = json.dumps(text, ensure_ascii=False)  # JSON escapes are YAML escapes
    return _YAML_UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _yaml_scalar(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"front matter cannot hold {value!r}")
        text = repr(value)
        mantissa, e, exponent = text.partition("e")
        # YAML 1.1 (PyYAML) reads 1e-07 as a string: give the mantissa a point.
        return f"{mantissa}.0e{exponent}" if e and "." not in mantissa else text
    if isinstance(value, str):
        return _yaml_string(value)
    if isinstance(value, (list, dict)) and not value:
        return "[]" if isinstance(value, list) else "{}"
    raise TypeError(f"front matter cannot hold {type(value).__name__}")


def _yaml_lines(value, pad):
    space = " " * pad
    lines = []
    if isinstance(value, dict):
        for key, item in value.items():
            key = key if _PLAIN_KEY.fullmatch(key) and key.lower() not in _YAML_WORDS \
                else _yaml_string(key)
            if isinstance(item, (dict, list)) and item:
                lines += [f"{space}{key}:", *_yaml_lines(item, pad + 2)]
            else:
                lines.append(f"{space}{key}: {_yaml_scalar(item)}")
    else:
        for item in value:
            if isinstance(item, (dict, list)) and item:
                first, *rest = _yaml_lines(item, pad + 2)
                lines += [f"{space}- {first.lstrip()}", *rest]
            else:
                lines.append(f"{space}- {_yaml_scalar(item)}")
    return lines


def to_yaml(mapping):
    """Block-style YAML of a dict of dicts, lists, strings, numbers, booleans and None
    (every string double-quoted), readable by YAML 1.1 and 1.2 parsers."""
    return "\n".join(_yaml_lines(mapping, 0)) + "\n"


def all_limitations(card):
    """The card's limitations, plus the synthetic-data statement where it applies."""
    data, statement = card.get("data") or {}, card.get("data_statement")
    return list(card.get("limitations") or []) + (
        [statement] if data.get("synthetic") and statement else [])


def front_matter(card):
    """The Hub-style metadata of `card.md` (a dict; see `render_front_matter`)."""
    meta = {"license": card["license"], "library_name": card["library_name"]}
    if card.get("pipeline_tag"):
        meta["pipeline_tag"] = card["pipeline_tag"]
    meta["tags"] = card["tags"]
    meta["datasets"] = [s["name"] for s in card["data_licenses"]]
    meta["data_licenses"] = [{k: s[k] for k in ("name", "license", "evidence", "note")
                              if s.get(k)} for s in card["data_licenses"]]
    family = card["family"]
    meta["family"] = {k: family[k] for k in ("name", "task", "exporter")}
    layouts = sorted({e["layout"] for e in (card.get("exports") or {}).values() if e.get("layout")})
    if layouts:
        meta["tflite_layout"] = layouts[0] if len(layouts) == 1 else layouts
    if card.get("baseline"):
        meta["baseline"] = card["baseline"]
    meta["intended_use"] = card["intended_use"]
    meta["limitations"] = all_limitations(card)
    if card.get("metrics"):
        data = card.get("data") or {}
        loaders = data_sources.loaders_in(data)
        dataset = {"name": data.get("name") or "not stated",
                   "type": loaders[0] if loaders else data.get("name") or "not stated"}
        if card.get("metrics_split"):
            dataset["split"] = card["metrics_split"]
        meta["model-index"] = [{"name": card["name"], "results": [{
            "task": {"type": card.get("pipeline_tag") or card["task"], "name": card["task"]},
            "dataset": dataset,
            "metrics": [{"type": metric, "value": value, "name": f"{metric} ({variant})",
                         "config": variant}
                        for variant, values in card["metrics"].items()
                        for metric, value in values.items()]}]}]
    return meta


def render_front_matter(card):
    return f"{FRONT_MATTER}\n{to_yaml(front_matter(card))}{FRONT_MATTER}\n\n"


def split_front_matter(text):
    """`(yaml_text, body)` of a card.md; yaml_text is None without front matter."""
    head = FRONT_MATTER + "\n"
    end = text.find("\n" + head, len(head) - 1) if text.startswith(head) else -1
    if end < 0:
        return None, text
    return text[len(head):end + 1], text[end + 1 + len(head):].lstrip("\n")


# ---------------------------------------------------------------- rendering


def _layout_choice(exports):
    """Why a model ships some modes single and others stepped (one line, or none)."""
    from export.convert import SINGLE_REFUSED

    single = [m for m, e in exports.items() if e.get("layout") == "single"]
    stepped = [m for m, e in exports.items() if e.get("layout") == "stepped"]
    if not single:
        return []
    line = (f"- Why: the input has a fixed length, so {', '.join(single)} ship as single files: "
            "one invoke, and stock runtimes (LiteRT Interpreter, MediaPipe AudioClassifier, "
            "Android `runSignature`) run them with their standard TFLite Metadata")
    reasons = [f"{m} {SINGLE_REFUSED[m]}" for m in stepped if m in SINGLE_REFUSED]
    if reasons:
        line += "; stepped instead: " + "; ".join(reasons)
    return [line + "."]


def _family_lines(card):
    family, exports = card.get("family"), card.get("exports") or {}
    if not family:
        return []
    out = ["", "## Family and file layout", "",
           f"- Family `{family['name']}` (task `{family['task']}`)"
           + (f": {family['description'].rstrip('.')}" if family.get("description") else "")
           + "."]
    if family.get("variants"):
        out.append(f"- Variants: {', '.join(family['variants'])}.")
    if card.get("baseline"):
        out.append(f"- No-attention twin (baseline): `{card['baseline']}`.")
    out.append(f"- Exporter: `{family['exporter']}` (`zoo export {card['name']} -q MODE "
               "-o FILE` writes a file of this layout).")
    groups = {}
    for mode, e in exports.items():
        groups.setdefault((e.get("layout"), tuple(e.get("signatures") or ())), []).append(mode)
    for (layout, signatures), modes in groups.items():
        text = f"{layout}: {LAYOUTS.get(layout, layout)}" if layout else NOT_MEASURED
        if signatures:
            text += "; signatures " + ", ".join(f"`{x}`" for x in signatures)
        out.append(f"- Layout of {', '.join(modes)}: {text}.")
    out += _layout_choice(exports)
    if exports:
        mode = "int8" if "int8" in exports else next(iter(exports))
        out.append(f"- Run a shipped file: `zoo.load_tflite(\"{card['name']}\", \"{mode}\")` "
                   f"(an `export.runtime.Runtime`), or `zoo predict {card['name']} INPUT "
                   f"--tflite {mode}`.")
    return out


def _license_lines(card):
    if not card.get("license"):
        return []
    out = ["", "## License and intended use", "",
           f"- License of the code and of these weights: {card['license']} (the repository's "
           "`LICENSE`).",
           f"- Intended use: {card['intended_use']}", ""]
    sources = card.get("data_licenses") or []
    if not sources:
        return out + ["Data licences: not stated."]
    out += ["Data sources and their licences, as each package states it (the data keep "
            "their own licences; this card does not judge whether they reach the weights):",
            ""]
    out += _table(["source", "licence", "where stated"], [
        [s["name"], s["license"] + (f" ({s['note']})" if s.get("note") else ""),
         s.get("evidence") or "not stated"] for s in sources])
    return out


def _streaming_lines(streaming):
    """The "Streaming" section of a model that runs one frame per call (optional)."""
    if not streaming:
        return []
    out = ["", "## Streaming: one 20 ms frame per call", ""]
    files = streaming.get("files") or {}
    if files:
        rows = []
        for mode, f in files.items():
            check = f.get("streamed_vs_keras") or {}
            rows.append([mode, f"`{f.get('file')}`", f.get("layout", "stepped"),
                         f"{f['size_bytes'] / 1024:.1f} KiB",
                         f"{f['ms_per_frame_p50_1t']:.3f} ms",
                         _fmt(f.get("test_accuracy_in_stream")),
                         _fmt(f.get("test_accuracy_streamed")),
                         _fmt(check.get("top1_agreement")), _fmt(check.get("max_abs_error"))])
        out += _table(["mode", "step file", "layout", "size", "cost per frame p50 (1 thread)",
                       "test accuracy, each clip after 1 s of silence (in stream)",
                       "test accuracy, each clip from the initial state",
                       "top-1 = Keras (streamed 2-s excerpts)", "max |Δ| vs Keras"], rows)
        lead = streaming.get("test_in_stream")
        if lead:
            out += ["", f"In stream = each of the {lead['clips']:,} test clips after "
                        f"{lead['lead_s']:g} s of {lead['lead']}, as a running detector meets a "
                        "word after a pause; the Keras whole-window model scores "
                        f"{_fmt(lead['keras_accuracy'])} on the same audio. From the initial "
                        "state = the clip alone, the state all zeros (what the Metrics table "
                        "measures on the 1-s whole-window model)."]
        out += ["", "The step file takes the frame and the state (audio tail, log-mel tail, GRU "
                    "state, attention ring) and returns the probabilities and the next state; "
                    "`zoo.models.kws.frames.FrameStream` runs it. A single-layout file is one "
                    "signature (`serving_default`), one invoke per frame, that a stock "
                    "interpreter runs; a stepped one is a chain of signatures its plan orders "
                    "(the float front end apart from the integer body)."]
    point = streaming.get("operating_point")
    if point:
        c = point.get("calibration") or {}
        thr = point.get("threshold")
        thr_text = (", ".join(f"{k} {v:g}" for k, v in thr.items()) if isinstance(thr, dict)
                    else _fmt(thr))
        out += ["", f"Operating point (`zoo/demo/settings.json`, chosen on training-side dev "
                    f"streams only): smoothing over {point.get('smoothing_windows')} frames, "
                    f"threshold {thr_text}, refractory {_fmt(point.get('refractory_ms'))} ms, "
                    f"file mode {point.get('file_mode')}. On the dev streams: "
                    f"{_fmt(c.get('fa_per_hour_free'))} false alarms per hour of keyword-free "
                    f"running speech ({_fmt(c.get('false_alarms_free'))} in "
                    f"{_fmt(c.get('free_hours'))} h), recall {_fmt(c.get('recall'))} "
                    f"({_fmt(c.get('hits'))} of {_fmt(c.get('occurrences'))} keywords in "
                    "sentences)."]
        if c.get("hours_real"):
            out[-1] += (f" Of that, recorded speech (`python -m zoo.data.speech_commands real-dev`: "
                        f"{_fmt(c.get('hours_real'))} h, English and other languages, speakers no "
                        f"training data holds): {_fmt(c.get('fa_per_hour_real'))} false alarms per "
                        f"hour; text-to-speech: {_fmt(c.get('fa_per_hour_tts'))}.")
        if c.get("fa_per_hour_by_stream"):
            out[-1] += " Per stream: " + ", ".join(
                f"{k} {_fmt(v)}" for k, v in c["fa_per_hour_by_stream"].items()) + " false alarms per hour."
    real = streaming.get("real_audio")
    if real:
        out += ["", f"Real recordings (reserved for evaluation; `{real.get('command')}`): "
                    f"{real.get('summary')}"]
    return out


def render_markdown(card):
    """`card.md` text for a card dict: front matter (`front_matter`), then Markdown."""
    out = [render_front_matter(card) + f"# {card['name']}" if card.get("license")
           else f"# {card['name']}", ""]
    if card.get("description"):
        out += [card["description"], ""]
    labels = card.get("labels")
    inputs = registry.describe_inputs(card["input_spec"])
    out += _table(["", ""], [
        ["Task", card["task"]],
        *([["Family", f"`{card['family']['name']}`"]] if card.get("family") else []),
        ["Architecture", _fmt(card.get("architecture"))],
        ["Parameters", _fmt(card.get("parameters"))],
        ["Input", inputs],
        ["Labels", f"{', '.join(labels)} ({len(labels)})" if labels else "none"],
        ["Builder", f"`{card['builder']}`"],
    ])

    out += ["", "## Data", ""]
    data = card.get("data")
    if not data:
        out.append(NOT_MEASURED)
    else:
        if card.get("data_statement"):
            statement = card["data_statement"]
            out += [f"**{statement}**" if data.get("synthetic") else statement, ""]
        for key in ("name", "source", "license", "description"):
            if data.get(key):
                out.append(f"- {key.capitalize()}: {data[key]}")
        splits = data.get("splits")
        out += ["", *_table(["split", "examples"], [[k, _fmt(v)] for k, v in splits.items()])] \
            if splits else ["- Splits: " + NOT_MEASURED]

    split = card.get("metrics_split")
    out += ["", f"## Metrics{f' ({split} split)' if split else ''}", ""]
    metrics = card.get("metrics") or {}
    exports = card.get("exports") or {}
    if not metrics:
        out.append(NOT_MEASURED)
    else:
        names = sorted({k for v in metrics.values() for k in v})
        variants = ["keras"] + [m for m in MODES if m in metrics or m in exports]
        rows = [["Keras (float)" if v == "keras" else f"TFLite {v}"]
                + [_fmt((metrics.get(v) or {}).get(k)) for k in names] for v in variants]
        out += _table(["model", *names], rows)

    out += ["", "## TFLite files", ""]
    if not exports:
        out.append(NOT_MEASURED)
    else:
        rows = []
        for mode, e in exports.items():
            size = NOT_MEASURED if e["size_bytes"] is None else f"{e['size_bytes'] / 1024:.1f} KiB"
            p50 = NOT_MEASURED if e["p50_ms_1t"] is None else f"{e['p50_ms_1t']:.2f} ms"
            gpu = e.get("gpu_documented_ops_only")
            if gpu is False:
                blockers = (e.get("gpu_blocking_ops") or []) + (e.get("gpu_undocumented_ops") or [])
                gpu_text = "no" + (f" ({', '.join(blockers)})" if blockers else "")
            else:
                gpu_text = _fmt(gpu)
            ops = (", ".join(f"{k}×{v}" for k, v in sorted(e["ops"].items()))
                   if e.get("ops") else NOT_MEASURED)
            webgpu = e.get("webgpu")
            if not webgpu:
                webgpu_text = NOT_MEASURED
            elif webgpu["status"] == "ok":
                webgpu_text = f"runs, max |Δ| vs Keras {webgpu['max_abs_diff_vs_keras']:.1e}"
                if webgpu.get("float_segments_on_wasm"):  # kws.js floatOnCpuCaller
                    webgpu_text += (" (float-only segments " + ", ".join(
                        webgpu["float_segments_on_wasm"]) + " on wasm)")
            else:
                webgpu_text = f"fails: {webgpu.get('reason') or '?'}"
            rows.append([mode, f"`{e['file']}`", size, p50, _fmt(e.get("builtin_only")),
                         gpu_text, webgpu_text, ops])
        out += _table(["mode", "file", "size", "latency p50 (1 thread)", "builtin ops only",
                       "GPU delegate (static: documented ops)", "WebGPU (LiteRT.js, measured)", "ops"],
                      rows)
        out += ["", "Latency: one example through `export.runtime`, one interpreter thread. "
                    "\"GPU delegate\" is a static check against the delegate's documented op "
                    "list (`export.gpu_ops`); \"WebGPU\" is measured by `python -m "
                    "web_demo.gpu_check` (LiteRT.js in headless Chromium on SwiftShader, a CPU "
                    "emulation: a correctness path, not GPU speed; ops outside the GPU's reach "
                    "run on the CPU)."]

    out += _streaming_lines(card.get("streaming"))
    out += _family_lines(card)

    out += ["", "## Attention vs baseline", ""]
    comparison = card.get("comparison")
    if not comparison:
        out.append(NOT_MEASURED)
    else:
        metric = comparison.get("metric", "metric")
        where = f" ({comparison['split']} split)" if comparison.get("split") else ""
        rows = [[side, comparison[side].get("name", side), _fmt(comparison[side]["value"]),
                 _fmt(comparison[side].get("parameters"))] for side in ("attention", "baseline")]
        out += _table(["", "model", f"{metric}{where}", "parameters"], rows)
        out += ["", f"Difference (attention - baseline): {comparison['delta']:+.4g}"]

    out += ["", "## Limitations", ""]
    if not card.get("limitations"):
        out.append(NOT_MEASURED)
    out += [f"- {x}" for x in all_limitations(card)]
    out += _license_lines(card)

    out += ["", "## Reproduce", ""]
    reproduce = card.get("reproduce") or {}
    if not (reproduce.get("train") or reproduce.get("measure")):
        out += [f"Training and measuring commands: {NOT_MEASURED}.", ""]
    if reproduce:
        titles = {"train": "retrain", "measure": "re-measure", "card": "regenerate this card"}
        keys = [k for k in titles if reproduce.get(k)] + [k for k in reproduce if k not in titles]
        out.append("```sh")
        for key in keys:
            out += [f"# {titles.get(key, key)}", reproduce[key]]
        out.append("```")

    env = card.get("environment")
    if env:
        out += ["", "## Environment", ""] + [f"- {k}: {v}" for k, v in env.items()]
    out += ["", "---", ""]
    if card.get("sources"):
        out.append("Generated by `zoo.cards` from measured results: "
                   + ", ".join(f"`{s['file']}` (sha256 {s['sha256'][:12]})"
                               for s in card["sources"])
                   + ".")
    else:
        out.append("No measured results yet: every figure above is not measured.")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ writing


def write_card(name, results_paths, out_dir=None, checksums=True, command=None):
    """Write `card.json` and `card.md` into `out_dir` (default: the model's
    artifact directory, else `$ZOO_HOME/NAME`) and refresh their entries in
    SHA256SUMS; returns the card dict."""
    from zoo.files import atomic_write_bytes

    registry.get(name)
    if not results_paths:
        raise ResultsError("give at least one results file (--results PATH...)")
    if out_dir is None:
        found = registry.find_artifacts(name)
        out_dir = found.path if found is not None else registry.user_dir(name)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if command is None:
        command = " ".join(["python -m zoo.cards", name, "--results", *map(str, results_paths)])
    card = build_card(name, results_paths, out_dir=out_dir, command=command)
    atomic_write_bytes(out_dir / CARD_JSON, (json.dumps(card, indent=2) + "\n").encode())
    atomic_write_bytes(out_dir / CARD_MD, render_markdown(card).encode())
    if checksums:
        registry.write_checksums(out_dir, [CARD_JSON, CARD_MD])
    return card


def summary_markdown(name):
    """A card with every section "not measured", for a model without one."""
    return render_markdown(build_card(name))


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m zoo.cards", description=__doc__.split("\n\n")[0],
        epilog="The results JSON schema is in the docstring of zoo/cards.py.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="registered model name")
    parser.add_argument("--results", nargs="+", required=True, type=Path, metavar="PATH",
                        help="results JSON files (schema attention-rnn-zoo/results/1)")
    parser.add_argument("--out", type=Path, default=None,
                        help="artifact directory (default: the model's, else $ZOO_HOME/NAME)")
    parser.add_argument("--no-checksums", action="store_true",
                        help="do not update SHA256SUMS")
    args = parser.parse_args(argv)
    try:
        card = write_card(args.name, args.results, args.out, checksums=not args.no_checksums)
    except (registry.UnknownModelError, ValueError, FileNotFoundError, PermissionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    where = args.out or registry.find_artifacts(args.name).path
    print(f"wrote {Path(where) / CARD_JSON} and {Path(where) / CARD_MD}"
          + (f" (not measured: {', '.join(card['not_measured'])})" if card["not_measured"] else ""))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
