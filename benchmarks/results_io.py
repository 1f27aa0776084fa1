"""Writing one benchmark's results: `<stem>.json` and `<stem>.md` side by side, atomically."""

from __future__ import annotations

import json
from pathlib import Path

from zoo.files import atomic_write_bytes


def write_results(out, stem, result, markdown_text):
    """`out/<stem>.json` (machine-readable) and `out/<stem>.md` (the table); prints the table."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out / f"{stem}.json", json.dumps(result, indent=2).encode())
    atomic_write_bytes(out / f"{stem}.md", markdown_text.encode())
    print(markdown_text)
    return out
