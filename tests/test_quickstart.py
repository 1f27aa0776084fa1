import re

import numpy as np

from zoo import quickstart


def test_quickstart_prints_weights_table_and_saves_plot(tmp_path, capsys):
    path = tmp_path / "plots" / "attention.png"
    result = quickstart.main(["--epochs", "1", "--samples", "128", "--plot", str(path)])
    out = capsys.readouterr().out
    assert "Attention weights (rows: output tokens, columns: input tokens):" in out
    table = out.split("columns: input tokens):\n", 1)[1].split("\n\n", 1)[0].splitlines()
    header, rows = table[0].split(), table[1:]
    assert header == result["inputs"]
    assert len(rows) == len(result["outputs"]) >= 1
    for row, name, weights in zip(rows, result["outputs"], result["weights"]):
        cells = row.split()
        assert cells[0] == name
        assert all(re.fullmatch(r"\d\.\d\d", c) for c in cells[1:])
        np.testing.assert_allclose([float(c) for c in cells[1:]], weights, atol=0.006)
    np.testing.assert_allclose(result["weights"].sum(-1), 1.0, atol=1e-4)
    assert f"Heat map saved to {path}" in out
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
