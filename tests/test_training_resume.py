"""A run that BackupAndRestore resumes counts its epochs from the start (zoo.training.fit)."""

from types import SimpleNamespace

import keras
import numpy as np
import pytest

from zoo import training


def _model():
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    m.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


class _Stop(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt("killed")


def test_resumed_run_numbers_its_epochs_from_the_first(tmp_path):
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    entry = SimpleNamespace(build=lambda **cfg: _model())
    args = SimpleNamespace(evaluate_only=False, patience=10, time_budget=None, epochs=4,
                           batch_size=8, init_weights=None)
    with pytest.raises(KeyboardInterrupt):
        training.fit(_model(), entry, tmp_path, (x, y), (x, y), args, callbacks=[_Stop()])
    history, _ = training.fit(_model(), entry, tmp_path, (x, y), (x, y), args)
    assert history["epoch"] == [3, 4] and len(history["loss"]) == 2
    assert training.epochs_run(history) == 4
    assert training.epochs_run({"loss": [1.0, 0.5]}) == 2 and training.epochs_run(None) is None
    assert (tmp_path / "model.weights.h5").is_file()
