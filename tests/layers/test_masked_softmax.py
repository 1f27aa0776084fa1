"""zoo.layers.masked_softmax against a NumPy softmax over the valid steps only."""

import numpy as np
import pytest
from keras import ops

from zoo.layers import masked_softmax


def reference(energies, valid):
    out = np.zeros_like(energies, dtype=np.float64)
    for idx in np.ndindex(energies.shape[:-1]):
        keep = valid[idx]
        if keep.any():
            e = energies[idx][keep].astype(np.float64)
            w = np.exp(e - e.max())
            out[idx][keep] = w / w.sum()
    return out


@pytest.mark.parametrize("per_query", [False, True])
def test_masked_softmax_matches_numpy_on_valid_steps_only(per_query, rng):
    energies = (rng.normal(size=(3, 4, 9)) * 5).astype("float32")
    mask = rng.random((3, 4, 9) if per_query else (3, 9)) > 0.4
    mask[1] = False  # a batch row with nothing valid: zeros, not NaN
    valid = mask if per_query else np.broadcast_to(mask[:, None], energies.shape)
    got = ops.convert_to_numpy(masked_softmax(ops.convert_to_tensor(energies), mask))
    np.testing.assert_allclose(got, reference(energies, valid), atol=1e-6)
    assert np.all(got[~valid] == 0.0)


def test_masked_softmax_keeps_the_range_of_the_energies(rng):
    # no -1e9 fill: with energies far from zero the valid steps still normalise exactly
    energies = (1e4 + rng.normal(size=(2, 1, 6))).astype("float32")
    mask = np.array([[1, 1, 0, 1, 0, 0], [0, 0, 0, 0, 0, 1]], bool)
    got = ops.convert_to_numpy(masked_softmax(ops.convert_to_tensor(energies), mask))
    np.testing.assert_allclose(got.sum(-1), 1.0, atol=1e-6)
    np.testing.assert_allclose(got, reference(energies, np.broadcast_to(mask[:, None], got.shape)),
                               atol=1e-5)
