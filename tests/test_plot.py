import keras
import numpy as np
import pytest
from matplotlib.figure import Figure

from zoo import plot


def weights(rng, ty=3, tx=5):
    w = rng.random((ty, tx)).astype("float32")
    return w / w.sum(-1, keepdims=True)


def test_heat_map_has_the_weights_labels_and_colorbar(rng, tmp_path):
    w = weights(rng)
    fig = plot.attention(w, x_labels=list("abcde"), y_labels=["x", "y", "z"], title="t")
    assert isinstance(fig, Figure)
    ax, colorbar = fig.axes  # the heat map and its colour bar
    np.testing.assert_allclose(np.asarray(ax.images[0].get_array()), w)
    assert [t.get_text() for t in ax.get_xticklabels()] == list("abcde")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y", "z"]
    assert ax.get_title() == "t"
    assert colorbar is not ax
    path = tmp_path / "attention.png"
    fig.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_accepts_tensors_and_one_row(rng):
    w = weights(rng)
    fig = plot.attention(keras.ops.convert_to_tensor(w))
    np.testing.assert_allclose(np.asarray(fig.axes[0].images[0].get_array()), w)
    fig = plot.attention(w[0], x_labels=range(5))
    assert np.asarray(fig.axes[0].images[0].get_array()).shape == (1, 5)


def test_draws_into_a_given_axes(rng):
    fig = Figure()
    ax = fig.add_subplot()
    assert plot.attention(weights(rng), ax=ax) is fig
    assert len(ax.images) == 1


def test_rejects_mismatched_labels_and_bad_shapes(rng):
    w = weights(rng)
    with pytest.raises(ValueError, match="x_labels"):
        plot.attention(w, x_labels=list("abc"))
    with pytest.raises(ValueError, match="y_labels"):
        plot.attention(w, y_labels=list("abcde"))
    with pytest.raises(ValueError, match="weights"):
        plot.attention(w[None])
