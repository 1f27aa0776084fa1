"""Copy a training run into the package (`zoo/pretrained/NAME/`) with its card.

    from zoo import shipping
    dest = shipping.ship("mt-en-de-bahdanau", Path("runs/mt-en-de-bahdanau-s0"),
                         drop_modes=["float32"], extra_results={"limitations": [...]})
    shipping.write_card("mt-en-de-bahdanau")

`RUN` is the `--out` of `zoo train NAME`. Every file the run lists in its
SHA256SUMS is shipped, the weights re-saved without optimizer state, except
the TFLite files of `drop_modes` (measured in the run, left out for package
size). `extra_results` is merged into the shipped `results.json` (lists
appended, other values replaced). `write_card` builds `card.json` /
`card.md` from `results.json` and, when present, `comparison.json`
(attention vs baseline over seeds) and `webgpu.json` (measured WebGPU
results), then refreshes SHA256SUMS. Used by `scripts/ship.py` and
`benchmarks.forecasting --ship`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from zoo import cards, registry, training
from zoo.files import atomic_write_bytes

ROOT = Path(__file__).resolve().parents[1]
SKIP = {registry.WEIGHTS_FILE, registry.CHECKSUMS_FILE, registry.CARD_JSON, registry.CARD_MD}


def pretrained_dir(name):
    return registry.package_dir() / name


def ship(name, run, drop_modes=(), extra_results=None, keep_results=()):
    """Copy `run` to `zoo/pretrained/NAME` (replacing it); returns the folder.
    `keep_results`: keys of the shipped results.json kept over the run's (e.g. `data`,
    `limitations` written after training), for shipping a run again."""
    run = Path(run)
    dest = pretrained_dir(name)
    kept = {}
    if keep_results and (dest / "results.json").is_file():
        previous = json.loads((dest / "results.json").read_text())
        kept = {k: previous[k] for k in keep_results if k in previous}
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    entry = registry.get(name)
    config = json.loads((run / registry.CONFIG_FILE).read_text()) \
        if (run / registry.CONFIG_FILE).exists() else {}
    model = entry.build(**config)
    model.load_weights(run / registry.WEIGHTS_FILE)
    training.save_inference_weights(entry, model, dest / registry.WEIGHTS_FILE, config)
    dropped = {registry.tflite_filename(name, m) for m in drop_modes}
    for f in registry.read_checksums(run):
        if f not in SKIP and f not in dropped:
            shutil.copy(run / f, dest / f)
    extra = dict(extra_results or {})
    if drop_modes:
        extra.setdefault("limitations", []).append(
            f"Measured in training but not shipped (package size): the {', '.join(drop_modes)} "
            f"file(s); make one with `zoo export {name} -q MODE -o FILE`.")
    if (dest / "results.json").is_file():
        results = portable({**json.loads((dest / "results.json").read_text()), **kept})
        for mode in drop_modes:
            (results.get("exports") or {}).pop(mode, None)
        for key, value in extra.items():  # list items once (a kept list may hold them)
            old_items = results.get(key, [])
            results[key] = (old_items + [v for v in value if v not in old_items]
                            if isinstance(value, list) else value)
        atomic_write_bytes(dest / "results.json", (json.dumps(results, indent=2) + "\n").encode())
    registry.write_checksums(dest)
    return dest


def portable(results):
    """`results` (a results.json) with each export report's `path` reduced to the file's
    name: the training run's folder (`/tmp/...`, the trainer's `--out`) means nothing in a
    user's copy; the file lies beside results.json."""
    for entry in (results.get("exports") or {}).values():
        report = entry.get("report") if isinstance(entry, dict) else None
        if isinstance(report, dict) and report.get("path"):
            report["path"] = Path(report["path"]).name
    return results


def refresh_files(name):
    """Bring the shipped files of `name` to what the exporter writes now where that leaves
    their arithmetic as it is, in place and atomically: the lower-rank computed operand of
    an ADD/SUB/MUL given the full rank (`export.flatbuffer.align_broadcast_ranks`: LiteRT.js
    WebGPU computes that int8 broadcast wrong) and, for stepped files, the standard TFLite Metadata
    (`zoo.file_metadata.for_stepped`; files shipped before it carry their plan only).
    Keeps the sizes `results.json` and `streaming.json` record true; every measured
    figure stays the file's (the CPU outputs are bit for bit the same). Idempotent.
    Returns `{file name: new size}` of the files it changed."""
    from export import metadata
    from export.flatbuffer import align_broadcast_ranks
    from export.runtime import plan_layout
    from zoo import file_metadata

    dest = pretrained_dir(name)
    changed = {}
    for path in sorted(dest.glob("*.tflite")):
        data = path.read_bytes()
        stamped = metadata.keep_associated(data, lambda d: align_broadcast_ranks(d)[0])
        if plan_layout(data) == "stepped":
            stamped = metadata.attach(stamped, *file_metadata.for_stepped(name, stamped))
        if stamped != data:
            atomic_write_bytes(path, stamped)
            changed[path.name] = len(stamped)
    for record, entries in (("results.json", lambda doc: [
            (registry.tflite_filename(name, mode), e) for mode, e in
            (doc.get("exports") or {}).items()]),
            ("streaming.json", lambda doc: [
                (e.get("file"), e) for e in doc["streaming"].get("files", {}).values()])):
        if not changed or not (dest / record).is_file():
            continue
        text = (dest / record).read_text()
        doc = json.loads(text)
        for file_name, entry in entries(doc):
            if file_name in changed and isinstance(entry, dict):
                entry["size_bytes"] = changed[file_name]
                if isinstance(entry.get("report"), dict) and "size_bytes" in entry["report"]:
                    entry["report"]["size_bytes"] = changed[file_name]
        ending = "\n" if text.endswith("\n") else ""
        atomic_write_bytes(dest / record, (json.dumps(doc, indent=2) + ending).encode())
    if changed:
        registry.write_checksums(dest)
    return changed


def write_card(name, gpu=None, max_bytes=None):
    """Card and SHA256SUMS of a shipped model (see the module docstring); `gpu`:
    `{name: webgpu results}` to store first; `max_bytes`: refuse a bigger folder."""
    dest = pretrained_dir(name)
    sources = [dest / "results.json"]
    for extra in ("comparison.json", "streaming.json"):
        if (dest / extra).exists():
            sources.append(dest / extra)
    if gpu and name in gpu:
        atomic_write_bytes(dest / "webgpu.json", json.dumps(gpu[name], indent=2).encode())
    if (dest / "webgpu.json").exists():
        sources.append(dest / "webgpu.json")
    registry.write_checksums(dest)  # every file; the card then refreshes its own two entries
    cards.write_card(name, [str(s.relative_to(ROOT)) for s in sources], dest)
    size = sum(f.stat().st_size for f in dest.iterdir())
    if max_bytes and size > max_bytes:
        raise SystemExit(f"{dest} holds {size / 1e6:.2f} MB; keep it under "
                         f"{max_bytes / 1e6:.1f} MB")
    print(f"shipped {name}: {size / 1e6:.2f} MB in {dest}")
    return dest
