"""The `zoo` command line (typer + rich).

    zoo export MODEL.keras --quantize int8 --representative DATA.npz -o out.tflite

Every command exits 0 on success and 2 with a one-line reason on bad input.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="attention-rnn-zoo: attention RNN models for Keras 3 and TFLite.")
console = Console()


@app.callback()
def _root():
    """attention-rnn-zoo command line."""
err_console = Console(stderr=True)


def fail(message: str):
    """Print a one-line error and exit with status 2."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _load_npz(path: Path):
    import numpy as np

    if not path.is_file():
        fail(f"--representative file {str(path)!r} does not exist")
    try:
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    except Exception as exc:  # numpy raises many kinds for a bad file
        fail(f"--representative file {str(path)!r} is not a readable .npz ({exc})")


def _load_keras(path: Path):
    import keras

    import zoo.layers  # noqa: F401  registers our layers for deserialization

    if not path.is_file():
        fail(f"model file {str(path)!r} does not exist")
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


@app.command("export")
def export_command(
    model: Path = typer.Argument(..., help="a .keras model file"),
    quantize: str = typer.Option("float32", "--quantize", "-q",
                                 help="float32 | float16 | dynamic | int8 | int16x8"),
    representative: Path = typer.Option(None, "--representative", "-r",
                                        help=".npz of inputs (n, ...): one array per model "
                                             "input (keys = input names, or a single array)"),
    output: Path = typer.Option(..., "--output", "-o", help="the .tflite file to write"),
    json_report: Path = typer.Option(None, "--json", help="also write the report as JSON"),
):
    """Export a Keras model to TFLite and print the export report."""
    import export

    if quantize not in export.MODES:
        fail(f"--quantize must be one of {', '.join(export.MODES)}; got {quantize!r}")
    if quantize in ("int8", "int16x8") and representative is None:
        fail(f"--quantize {quantize} needs --representative DATA.npz to calibrate")
    keras_model = _load_keras(model)
    data = None
    if representative is not None:
        arrays = _load_npz(representative)
        data = list(arrays.values())[0] if len(arrays) == 1 else arrays
    try:
        report = export.to_tflite(keras_model, output, quantize=quantize,
                                  representative_data=data)
    except (export.ExportError, FileNotFoundError, PermissionError) as exc:
        fail(str(exc))
    print_report(report)
    if json_report is not None:
        from zoo.files import atomic_write_bytes

        atomic_write_bytes(json_report, report.to_json().encode())


def main():  # pragma: no cover - console script
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
