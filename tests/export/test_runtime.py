import threading

import numpy as np
import pytest

import export
from tests.export.conftest import recurrent_model

pytestmark = pytest.mark.tensorflow_only


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    import keras

    keras.utils.set_random_seed(3)
    model = recurrent_model(kind="gru", bidirectional=True)
    path = tmp_path_factory.mktemp("rt") / "m.tflite"
    export.to_tflite(model, path, validate=False)
    return model, path


def test_batch_and_named_inputs(exported):
    model, path = exported
    rt = export.runtime.load(path, threads=1)
    x = np.random.default_rng(0).normal(size=(5, 12, 6)).astype("float32")
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(rt(x), expected, atol=1e-5)
    np.testing.assert_allclose(rt(**{rt.input_names[0]: x}), expected, atol=1e-5)
    np.testing.assert_allclose(rt(x[0]), expected[:1], atol=1e-5)  # unbatched example
    assert rt.backend == "ai_edge_litert"


def test_tensorflow_interpreter_gives_the_same(exported):
    model, path = exported
    x = np.random.default_rng(1).normal(size=(2, 12, 6)).astype("float32")
    a = export.runtime.load(path, backend="ai_edge_litert")(x)
    b = export.runtime.load(path, backend="tensorflow")(x)
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_wrong_input_shape(exported):
    _, path = exported
    rt = export.runtime.load(path)
    with pytest.raises(ValueError, match=r"must have shape \(batch, 12, 6\)"):
        rt(np.zeros((2, 11, 6), "float32"))
    with pytest.raises(ValueError, match="NaN"):
        rt(np.full((1, 12, 6), np.nan, "float32"))
    with pytest.raises(ValueError, match="unknown input"):
        rt(nope=np.zeros((1, 12, 6)))


def test_bad_files(tmp_path, exported):
    _, path = exported
    with pytest.raises(FileNotFoundError):
        export.runtime.load(tmp_path / "nope.tflite")
    empty = tmp_path / "empty.tflite"
    empty.write_bytes(b"")
    with pytest.raises(export.RuntimeLoadError, match="empty"):
        export.runtime.load(empty)
    text = tmp_path / "text.tflite"
    text.write_bytes(b"this is not a model at all")
    with pytest.raises(export.RuntimeLoadError, match="not a TFLite"):
        export.runtime.load(text)
    data = path.read_bytes()
    truncated = tmp_path / "truncated.tflite"
    truncated.write_bytes(data[: len(data) // 3])
    with pytest.raises(export.RuntimeLoadError):
        export.runtime.load(truncated)


def test_threads_share_one_runtime(exported):
    _, path = exported
    rt = export.runtime.load(path)
    xs = np.random.default_rng(2).normal(size=(8, 1, 12, 6)).astype("float32")
    sequential = [rt(x) for x in xs]
    results = [None] * len(xs)

    def work(i):
        for _ in range(5):
            results[i] = rt(xs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(sequential, results):
        np.testing.assert_array_equal(a, b)
