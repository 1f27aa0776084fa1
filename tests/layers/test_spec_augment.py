import numpy as np

from zoo.layers import SpecAugment


def test_identity_at_inference_and_masks_in_training():
    x = np.ones((4, 50, 20), "float32")
    layer = SpecAugment(time_masks=2, max_time=6, freq_masks=1, max_freq=4, seed=3)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    y = np.asarray(layer(x, training=True))
    assert set(np.unique(y)) <= {0.0, 1.0}
    for example in y:
        dropped_steps = np.all(example == 0, axis=1).sum()
        dropped_bins = np.all(example == 0, axis=0).sum()
        assert dropped_steps <= 2 * 6 and dropped_bins <= 4
        # Masked entries are whole time steps or whole bins.
        zeros = example == 0
        rows, cols = np.all(zeros, axis=1), np.all(zeros, axis=0)
        assert np.array_equal(zeros, rows[:, None] | cols[None, :])
    assert not np.array_equal(y[0], y[1]) or not np.array_equal(y[1], y[2])  # per example
