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


def _cosine(lr0, step, total, floor=training.COSINE_FLOOR):
    """Reference: cosine decay from lr0 to floor * lr0 over `total` steps, flat after."""
    step = min(step, total)
    return lr0 * (floor + (1 - floor) * 0.5 * (1 + np.cos(np.pi * step / total)))


def _sgd_model(args, steps):
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    m.compile(keras.optimizers.SGD(training.learning_rate(args, steps)),
              "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def test_cosine_schedule_decays_by_step_and_a_resumed_run_continues_it(tmp_path):
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    args = SimpleNamespace(evaluate_only=False, patience=10, time_budget=None, epochs=4,
                           batch_size=8, init_weights=None, learning_rate=0.1,
                           lr_schedule="cosine")
    steps = 4  # 32 examples / batch 8
    schedule = training.learning_rate(args, steps)
    for step in (0, 5, 8, 16, 20):
        assert float(schedule(step)) == pytest.approx(_cosine(0.1, step, 16), rel=1e-5)
    entry = SimpleNamespace(build=lambda **cfg: _sgd_model(args, steps))
    with pytest.raises(KeyboardInterrupt):
        training.fit(_sgd_model(args, steps), entry, tmp_path, (x, y), (x, y), args,
                     callbacks=[_Stop()])
    history, _ = training.fit(_sgd_model(args, steps), entry, tmp_path, (x, y), (x, y), args)
    assert history["epoch"] == [3, 4]
    # the rate logged at the end of epochs 3 and 4: after 12 and 16 optimizer steps
    assert history["learning_rate"] == pytest.approx([_cosine(0.1, 12, 16), _cosine(0.1, 16, 16)],
                                                     rel=1e-5)


def test_constant_schedule_is_the_float_and_bad_schedules_are_refused():
    args = SimpleNamespace(learning_rate=0.01, lr_schedule="constant", epochs=3)
    assert training.learning_rate(args, 10) == 0.01
    with pytest.raises(ValueError, match="use one of constant, cosine"):
        training.learning_rate(SimpleNamespace(learning_rate=0.01, lr_schedule="step", epochs=3), 10)
    with pytest.raises(ValueError, match="at least one step"):
        training.learning_rate(SimpleNamespace(learning_rate=0.01, lr_schedule="cosine", epochs=0), 10)


class _Batches(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.n = 0

    def on_train_batch_end(self, batch, logs=None):
        self.n += 1


def test_steps_per_epoch_is_the_number_of_batches_keras_fits():
    """Arrays, a list of input arrays, a PyDataset and a tf.data dataset: the count the
    cosine schedule is sized with equals the batches `model.fit` runs in one epoch."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = rng.normal(size=(37, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")

    class Seq(keras.utils.PyDataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return x[i * 7:(i + 1) * 7], y[i * 7:(i + 1) * 7]

    inp = [keras.Input((3,)), keras.Input((3,))]
    two = keras.Model(inp, keras.layers.Dense(2, activation="softmax")(
        keras.layers.Concatenate()(inp)))
    two.compile("sgd", "sparse_categorical_crossentropy")
    one = _sgd_model(SimpleNamespace(learning_rate=0.1, lr_schedule="constant", epochs=1), 1)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(6)
    for model, train, batch_size in ((one, (x, y), 8), (two, ([x, x], y), 10),
                                     (one, (Seq(),), 8), (one, (dataset,), 8)):
        counter = _Batches()
        model.fit(*train, batch_size=None if len(train) == 1 else batch_size, epochs=1,
                  verbose=0, callbacks=[counter])
        assert training.steps_per_epoch(train, batch_size) == counter.n
    with pytest.raises(ValueError, match="assert_cardinality"):
        training.steps_per_epoch((dataset.filter(lambda a, b: True),), 8)
