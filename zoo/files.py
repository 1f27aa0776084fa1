"""Writing files so that no half-written artifact is ever visible: the helpers
of `export.files` (the bottom layer, which imports nothing from `zoo`)."""

from export.files import (OutputPathError, WriteError, atomic_path, atomic_write_bytes,
                          check_input_file, check_output_path)

__all__ = ["OutputPathError", "WriteError", "atomic_path", "atomic_write_bytes", "guard_config",
           "check_input_file", "check_output_path"]


def guard_config(path, config, fix):
    """A resumable job's settings guard: write `config` (JSON) to `path` the first time;
    later runs must bring the same settings, else `ValueError` naming what differs and
    `fix` (what to do instead)."""
    import json
    from pathlib import Path

    path = Path(path)
    if path.is_file():
        old = json.loads(path.read_text())
        diff = sorted(k for k in set(old) | set(config) if old.get(k) != config.get(k))
        if diff:
            raise ValueError(f"{path.parent} was built with other settings ({', '.join(diff)} "
                             f"differ: { {k: old.get(k) for k in diff} } vs "
                             f"{ {k: config.get(k) for k in diff} }); {fix}")
    else:
        atomic_write_bytes(path, (json.dumps(config, indent=2) + "\n").encode())
