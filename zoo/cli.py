"""The `zoo` command line (typer + rich).

    zoo list [PATTERN] [--task TASK] [--json] registered models (a table; tab-separated
                                              lines when stdout is not a terminal)
    zoo info NAME                             the model card (markdown)
    zoo predict NAME INPUT...                 labels / forecasts, one line per input
    zoo train NAME [ARGS...]                  the model's registered trainer (its own
                                              options; `zoo train NAME --help`)
    zoo export MODEL.keras --quantize int8 --representative DATA.npz -o out.tflite
    zoo export NAME -q int8                   re-export a registered model to NAME.int8.tflite

    zoo --version, zoo -h / --help, zoo COMMAND -h
    zoo --verbose COMMAND ...                 also show TensorFlow's native log lines

Every command exits 0 on success and 2 with a one-line reason on bad input.
Nothing heavy is imported before a command needs it: `zoo list` and `zoo info`
load neither Keras nor TensorFlow.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from export import modes  # standard library only

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="attention-rnn-zoo: attention RNN models for Keras 3 and TFLite.")
console = Console()


def _version(value: bool):
    if value:
        from zoo import __version__

        typer.echo(f"attention-rnn-zoo {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    verbose: bool = typer.Option(False, "--verbose", "-v",
                                 help="show TensorFlow's, LiteRT's and CUDA's native log "
                                      "lines on stderr (hidden by default)"),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="print the version and exit"),
):
    """attention-rnn-zoo command line."""
    if verbose:
        return
    from zoo import quiet

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    ctx.call_on_close(quiet.filter_stderr())


err_console = Console(stderr=True)


def fail(message: str):
    """Print a one-line error and exit with status 2."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _load_npz(path: Path):
    import numpy as np

    from zoo.files import check_input_file

    try:
        check_input_file(path, "--representative file")
    except OSError as exc:
        fail(str(exc))
    try:
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    except Exception as exc:  # numpy raises many kinds for a bad file
        fail(f"--representative file {str(path)!r} is not a readable .npz ({exc})")


def _load_keras(path: Path):
    import keras

    import zoo.layers  # noqa: F401  registers our layers for deserialization

    from zoo.files import check_input_file

    try:
        check_input_file(path, "model file")
    except OSError as exc:
        fail(str(exc))
    if path.suffix != ".keras":
        fail(f"model file {str(path)!r} must be a .keras file (model.save('x.keras'))")
    try:
        return keras.models.load_model(path, safe_mode=True)
    except Exception as exc:
        fail(f"cannot load {str(path)!r} as a Keras model ({type(exc).__name__}: "
             f"{str(exc).splitlines()[0] if str(exc) else ''})")


def print_report(report):
    table = Table(title=f"TFLite export: {report.path}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for field, value in report.table():
        table.add_row(field, value)
    console.print(table)


def _is_model_file(arg: str):
    return arg.endswith(".keras") or "/" in arg or os.sep in arg or Path(arg).is_file()


def _entry(name: str):
    from zoo import registry

    try:
        return registry.get(name)
    except registry.UnknownModelError as exc:
        fail(str(exc))


def _load_registered(name: str):
    from zoo import api

    try:
        return api.load(name)
    except (api.ChecksumError, FileNotFoundError, ValueError, ImportError) as exc:
        fail(str(exc))


def _registry_data(entry, representative: Path | None):
    """Calibration / validation data for `zoo export NAME`."""
    if representative is not None:
        arrays = _load_npz(representative)
        return list(arrays.values())[0] if len(arrays) == 1 else arrays
    if not entry.has_hook("representative_data"):
        return None
    try:
        return entry.hook("representative_data")()
    except Exception as exc:  # a user hook: report any failure in one line
        fail(f"representative_data of {entry.name!r} failed ({type(exc).__name__}: {exc})")


#: The repository checkout this package runs from (web_demo/ is beside zoo/ there).
CHECKOUT = Path(__file__).resolve().parent.parent


def _gpu_measure():
    """`web_demo.gpu_check.measure_file` of the checkout, or a one-line failure
    outside a repository checkout (checked before anything is converted or written)."""
    how = ("run it from an attention-rnn-zoo repository checkout (`pip install -e .`) after "
           "`(cd web_demo && npm ci)`, or export without --gpu-check")
    if not (CHECKOUT / "web_demo" / "gpu_check.py").is_file():
        fail(f"--gpu-check is a repository-only tool (it drives web_demo/, which is not "
             f"installed with the package): {how}")
    if str(CHECKOUT) not in sys.path:
        sys.path.append(str(CHECKOUT))
    from web_demo import gpu_check

    if not gpu_check.node_modules_ready():
        fail(f"--gpu-check is a repository-only tool and web_demo/node_modules is missing or "
             f"stale: {how}")
    return gpu_check.measure_file


@app.command("export")
def export_command(
    model: str = typer.Argument(..., help="a .keras model file, or a registered model name "
                                          "(re-exported from its checked Keras weights)"),
    quantize: str = typer.Option("float32", "--quantize", "-q",
                                 help=" | ".join(modes.MODES)),
    representative: Path = typer.Option(None, "--representative", "-r",
                                        help=".npz of inputs (n, ...): one array per model "
                                             "input (keys = input names, or a single array); "
                                             "for a registered name, defaults to its "
                                             "representative_data"),
    output: Path = typer.Option(None, "--output", "-o",
                                help="the .tflite file to write (default: NAME.MODE.tflite in "
                                     "the current directory)"),
    json_report: Path = typer.Option(None, "--json", help="also write the report as JSON"),
    gpu_check: bool = typer.Option(False, "--gpu-check",
                                   help="also run the file on LiteRT.js WebGPU (headless "
                                        "Chromium) and report the measured result"),
    layout: str = typer.Option(None, "--layout",
                               help="stepped (signatures run by a host loop; any length) | "
                                    "single (one signature, one invoke; fixed-length models). "
                                    "Default: the model family's layout for the mode, else "
                                    "stepped"),
):
    """Export a Keras model (file or registered name) to TFLite and print the report."""
    import export

    if quantize not in export.MODES:
        fail(f"--quantize must be one of {', '.join(export.MODES)}; got {quantize!r}")
    if layout is not None and layout not in export.LAYOUTS:
        fail(f"--layout must be one of {', '.join(export.LAYOUTS)}; got {layout!r}")
    if output is None:
        stem = Path(model).stem if _is_model_file(model) else model
        output = Path(f"{stem}.{quantize}.tflite")
    _check_export_outputs(model, representative, output, json_report)
    convert, extra = export.to_tflite, {"gpu_check": _gpu_measure() if gpu_check else None}
    if _is_model_file(model):
        extra["layout"] = layout or "stepped"
    else:
        from zoo import file_metadata

        _entry(model)  # an unknown name fails here, with the registry's message
        extra.update(file_metadata.export_options(model, quantize, layout))
    with _stages() as stage:
        report = _export(model, quantize, representative, output, gpu_check, convert, extra,
                         stage)
    print_report(report)
    if json_report is not None:
        from zoo.files import atomic_write_bytes

        try:
            atomic_write_bytes(json_report, report.to_json().encode(), inputs=[output])
        except OSError as exc:
            fail(f"--json: {exc}")


def _stages():
    """A status line on stderr naming the export stage (shown on a terminal only)."""
    import contextlib

    @contextlib.contextmanager
    def stages():
        if not err_console.is_terminal:
            yield lambda message: None
            return
        with err_console.status("exporting") as status:
            yield lambda message: status.update(message)

    return stages()


def _export(model, quantize, representative, output, gpu_check, convert, extra, stage):
    import export

    stage(f"loading {model}")
    if _is_model_file(model):
        if modes.get(quantize).needs_calibration and representative is None:
            fail(f"--quantize {quantize} needs --representative DATA.npz to calibrate")
        keras_model = _load_keras(Path(model))
        data = None
        if representative is not None:
            arrays = _load_npz(representative)
            data = list(arrays.values())[0] if len(arrays) == 1 else arrays
    else:
        entry = _entry(model)
        if quantize not in entry.exports:
            fail(f"{model!r} does not support --quantize {quantize}; its export modes are "
                 f"{', '.join(entry.exports)}")
        if modes.get(quantize).needs_calibration and representative is None \
                and not entry.has_hook("representative_data"):
            fail(f"--quantize {quantize} needs calibration data: {model!r} registers no "
                 "representative_data; pass --representative DATA.npz")
        if gpu_check and not entry.family.gpu_check:
            fail(f"--gpu-check does not run {entry.family.name} models ({model!r}); export "
                 "without it")
        keras_model = _load_registered(model)
        stage(f"reading calibration data of {model}")
        data = _registry_data(entry, representative)
        if entry.has_hook("exporter"):  # the family writes its own file layout
            convert, extra = entry.hook("exporter"), {"metadata": extra.get("metadata")}
    how = "calibrating, converting" if modes.get(quantize).needs_calibration else "converting"
    stage(f"{how} each signature to {quantize}, then validating against Keras -> {output}")
    try:
        return convert(keras_model, output, quantize=quantize, representative_data=data,
                       **extra)
    except (export.ExportError, OSError) as exc:  # OSError: disk full, permissions
        fail(str(exc))


def _check_export_outputs(model, representative, output, json_report):
    """Refuse, before any work, an -o / --json that is a directory, not a regular file,
    or one of the command's own inputs (the .keras, the .npz, each other)."""
    from zoo import registry
    from zoo.files import check_output_path

    if _is_model_file(model):
        inputs = [Path(model)]
    else:  # a registered name: its checked weights and config are read
        try:
            found = registry.find_artifacts(model)
        except ValueError:  # not a valid name: reported by _entry below
            found = None
        inputs = [] if found is None else [found.path / registry.WEIGHTS_FILE,
                                           found.path / registry.CONFIG_FILE]
    inputs += [representative] if representative is not None else []
    try:
        check_output_path(output, inputs, what="-o/--output")
        if json_report is not None:
            check_output_path(json_report, inputs + [output], what="--json")
    except OSError as exc:
        fail(str(exc))


EMPTY_REGISTRY = ("No models registered yet. Pretrained keyword-spotting models (kws-*) will "
                  "ship in zoo/pretrained/; models you train with `zoo train` go to $ZOO_HOME "
                  "(default ~/.cache/attention-rnn-zoo).")


def model_rows(names):
    """One dict per model for `zoo list` (table, plain lines and JSON alike): name,
    task, family, where it is trained (`shipped`, `$ZOO_HOME` or None), its TFLite
    modes present, baseline and description. Reads SHA256SUMS listings only: nothing
    is hashed to list models (using a file verifies it)."""
    from zoo import registry

    rows = []
    for name in names:
        entry = registry.get(name)
        artifacts = registry.find_artifacts(name)
        trained, tflite = None, []
        if artifacts is not None:
            trained = ("shipped" if artifacts.source == "package" else
                       "$ZOO_HOME (over shipped)" if artifacts.shadows else "$ZOO_HOME")
            tflite = [m for m in artifacts.tflite_modes() if m in entry.exports]
        rows.append({"name": name, "task": entry.task, "family": entry.family.name,
                     "trained": trained, "tflite_modes": tflite, "baseline": entry.baseline,
                     "description": entry.description})
    return rows


@app.command("list")
def list_command(
    pattern: str = typer.Argument("*", help="fnmatch pattern, e.g. 'kws-*'"),
    task: str = typer.Option(None, "--task", "-t",
                             help="speech | text | series-classification | forecasting | "
                                  "translation (or a task a family adds)"),
    as_json: bool = typer.Option(False, "--json",
                                 help="print a JSON list (name, task, family, trained, "
                                      "tflite_modes, baseline, description)"),
):
    """List registered models, their task and where their trained files are.

    On a terminal: a table. Piped: one tab-separated line per model (name, task,
    trained, TFLite modes, description), notes on stderr."""
    import json

    from zoo import registry

    if task is not None and task not in registry.known_tasks():
        fail(f"--task must be one of {', '.join(registry.known_tasks())}; got {task!r}")
    names = registry.list_models(pattern, task=task)
    rows = model_rows(names)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    total = len(registry.list_models())
    if not names:
        note = EMPTY_REGISTRY if total == 0 else (
            f"No models match {pattern!r}" + (f" with task {task!r}" if task else "")
            + f"; {total} registered (`zoo list` shows all).")
    else:
        note = f"{len(names)} of {total} registered models. `zoo info NAME` for details."
    cells = [(r["name"], r["task"], r["trained"] or "no", ", ".join(r["tflite_modes"]) or "-",
              r["description"]) for r in rows]
    if not console.is_terminal:  # a pipe or a file: no table wrapping one word per line
        for row in cells:
            typer.echo("\t".join(row))
        if not names:
            err_console.print(note, highlight=False, soft_wrap=True)
        return
    table = Table(title="attention-rnn-zoo models", caption_justify="left", caption=note)
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("task", no_wrap=True)
    table.add_column("trained", no_wrap=True)
    table.add_column("TFLite modes")
    table.add_column("description", ratio=1)
    for row in cells:
        table.add_row(*row)
    console.print(table)


@app.command("info")
def info_command(name: str = typer.Argument(..., help="registered model name")):
    """Print the model card (markdown) of a registered model."""
    _entry(name)  # a misspelt name fails before the model API is imported
    from zoo import api, cards

    try:
        text = api.model_card(name, format="markdown")
    except api.ChecksumError as exc:
        fail(str(exc))
    except FileNotFoundError as exc:  # not trained yet, or no card generated
        err_console.print(f"[yellow]note:[/] {exc}", highlight=False, soft_wrap=True)
        try:
            text = cards.summary_markdown(name)
        except ValueError as exc2:
            fail(str(exc2))
    typer.echo(text.rstrip("\n"))


def _cli_item(entry, arg: str):
    """One `zoo predict` INPUT, read by the model's family (a WAV path, a string, a file
    of numbers)."""
    try:
        return entry.hook("read_input")(arg)
    except ValueError as exc:
        fail(str(exc))


def _plot_attention(pipe, inputs, items, path: Path):
    """Draw `pipe.explain(items)` to `path`; returns the explanations."""
    from zoo import plot
    from zoo.files import check_output_path

    if path.suffix.lower() != ".png":
        fail(f"--plot {str(path)!r}: give a .png file name")
    try:
        check_output_path(path, [a for a in inputs if os.path.isfile(a)], what="--plot")
        explained = pipe.explain(items)
    except (ValueError, OSError) as exc:
        fail(str(exc).splitlines()[0])
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if explained and explained[0].get("target_steps") is not None:  # translation: 2-D
        fig = Figure(figsize=(7.0, 5.5 * len(explained)))
        FigureCanvasAgg(fig)
        for i, (arg, e) in enumerate(zip(inputs, explained)):
            ax = fig.add_subplot(len(explained), 1, i + 1)
            plot.attention(e["weights"], x_labels=e["steps"], y_labels=e["target_steps"],
                           ax=ax, title=f"{arg[:60]}\n-> {e['result'][:60]}")
            ax.tick_params(axis="x", labelrotation=90)
        fig.tight_layout()
        _save_figure(fig, path)
        typer.echo(f"alignment plot: {path}")
        return explained
    widest = max(len(e["weights"]) for e in explained)
    fig = Figure(figsize=(min(24.0, max(6.0, 0.35 * widest + 2)), 1.6 * len(explained) + 0.6))
    FigureCanvasAgg(fig)
    for i, (arg, e) in enumerate(zip(inputs, explained)):
        ax = fig.add_subplot(len(explained), 1, i + 1)
        plot.attention(e["weights"], x_labels=e["steps"], ax=ax,
                       title=f"{arg[:60]} -> {e['result']}")
        ax.set_yticks([])
        ax.set_ylabel("")
        if e["steps"] is not None:
            ax.tick_params(axis="x", labelrotation=90)
    fig.tight_layout()
    _save_figure(fig, path)
    typer.echo(f"attention plot: {path}")
    return explained


def _save_figure(fig, path: Path):
    """Write `fig` as PNG atomically; a full disk or a permission error is one line."""
    from zoo.files import atomic_path

    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=110)
    except OSError as exc:
        fail(f"--plot: {exc}")


@app.command("predict")
def predict_command(
    name: str = typer.Argument(..., help="registered model name"),
    inputs: list[str] = typer.Argument(..., help="speech: WAV files (16 kHz); text: strings; "
                                                 "series: .npy / .csv files (time, channels)"),
    tflite: str = typer.Option(None, "--tflite",
                               help="run the shipped TFLite file of this mode (e.g. int8) "
                                    "instead of the Keras model"),
    plot: Path = typer.Option(None, "--plot",
                              help="attention models: draw the attention weights over the "
                                   "input steps (tokens, time steps) to this .png"),
    beam: int = typer.Option(None, "--beam", help="translators: beam width (1 = greedy; "
                                                  "default 4)"),
    no_repeat_ngram: int = typer.Option(
        None, "--no-repeat-ngram",
        help="translators: never repeat a run of this many target pieces (0 = off; default: "
             "the model family's, 3 for mt-en-de)"),
):
    """Run a pretrained model; prints `INPUT<tab>RESULT` per input.

    Translators translate every sentence they can read; each one they cannot (empty,
    a clause over the word limit, a word a numbers model lacks) is named on stderr
    and the exit status is 1."""
    import inspect
    import json

    import numpy as np

    from zoo import api
    from zoo import pipelines

    entry = _entry(name)
    # the keyword options of the family's own predict (translators: decoding, refusals)
    takes = (inspect.signature(entry.hook("predict")).parameters if entry.has_hook("predict")
             else {})
    options = {k: v for k, v in (("beam", beam), ("no_repeat_ngram", no_repeat_ngram))
               if v is not None}
    flags = " and ".join("--" + k.replace("_", "-") for k in options)
    if any(k not in takes for k in options):
        fail(f"{flags}: decoding options of translators; {name} is a {entry.task} model")
    if options and plot is not None:
        fail(f"--plot draws the default decoding: leave out {flags} with --plot")
    items = [_cli_item(entry, arg) for arg in inputs]
    try:
        pipe = pipelines.cached(name, tflite or "keras")
        results = None
        if plot is not None:
            explained = _plot_attention(pipe, inputs, items, plot)
            if tflite is None:  # the attention model's results are the Keras results
                results = [e["result"] for e in explained]
        if results is None:
            # a family whose predict reports refused items in place (translators: a sentence
            # the model cannot read) gets the rest done
            per_item = {"return_errors": True} if "return_errors" in takes else {}
            results = pipe.predict(items, **per_item, **options)
    except (api.ChecksumError, FileNotFoundError, ValueError, ImportError, TypeError) as exc:
        fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    refused = 0
    for arg, result in zip(inputs, results):
        if isinstance(result, ValueError):
            err_console.print(f"[bold red]error:[/] {result}", highlight=False, soft_wrap=True)
            refused += 1
            continue
        if isinstance(result, np.ndarray):
            result = json.dumps(np.round(result.astype(float), 6).tolist())
        typer.echo(f"{arg}\t{result}")
    if refused:
        raise typer.Exit(code=1)


@app.command("train", add_help_option=False,
             context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def train_command(
    ctx: typer.Context,
    name: str = typer.Argument(None, help="registered model name; the options after it are "
                                          "its trainer's (`zoo train NAME --help` lists them)",
                               show_default=False),
):
    """Train a registered model with its trainer; artifacts go to $ZOO_HOME/NAME.

    Options after NAME go to the model's trainer, e.g. `zoo train kws-att-bilstm
    --data-dir D --epochs 3` (a `--` before them is accepted too)."""
    args = list(ctx.args)
    if name is None or name in ctx.help_option_names:  # `zoo train`, `zoo train --help`
        if name is None and not set(args) & set(ctx.help_option_names):
            fail("give the model to train: `zoo train NAME [OPTIONS]` (`zoo list` shows the "
                 "names, `zoo train NAME --help` its trainer's options)")
        typer.echo(ctx.get_help())
        raise typer.Exit()
    entry = _entry(name)
    if not entry.has_hook("trainer"):
        fail(f"{name!r} has no trainer registered (register_model(..., trainer='pkg.mod:main'))")
    try:
        trainer = entry.hook("trainer")
    except (ImportError, TypeError, ValueError) as exc:
        fail(str(exc))
    if args[:1] == ["--"]:
        args = args[1:]
    from zoo import registry

    home = registry.user_dir(name)
    fresh = not home.exists()
    code = 1
    try:
        code = trainer(args, name=name)
    except (OSError, ValueError) as exc:  # missing data folder, malformed data file, disk full
        fail(f"zoo train {name}: {str(exc).strip() or type(exc).__name__}")
    finally:
        if code and fresh and home.is_dir() and not any(home.iterdir()):
            home.rmdir()  # a run that failed before writing anything leaves no empty folder
    raise typer.Exit(code=int(code or 0))


@app.command("demo")
def demo_command(
    wav: Path = typer.Option(None, "--wav", help="WAV file to stream (default: the microphone)"),
    model: str = typer.Option(None, "--model", help="registered speech model (default: "
                              "zoo/demo/settings.json's default_model, the streaming model)"),
    quantize: str = typer.Option(None, "--quantize", "-q", help="shipped TFLite mode (default: "
                                 "the model's file_mode in settings.json, else int8)"),
    keras: bool = typer.Option(False, "--keras", help="run the Keras model instead of TFLite"),
    plot: Path = typer.Option(None, "--plot", help="write waveform + posteriors to this .png"),
):
    """Streaming keyword detection: prints `MM:SS.mmm  label  prob` per keyword."""
    from zoo.demo import DemoError, run_demo

    try:
        run_demo(wav=wav, model=model, quantize=quantize, keras=keras, plot=plot,
                 out=typer.echo, log=lambda m: err_console.print(m, highlight=False,
                                                                 soft_wrap=True))
    except DemoError as exc:
        fail(str(exc))


def main():  # pragma: no cover - console script
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
