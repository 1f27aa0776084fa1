"""The shipped keyword spotter works out of the box, offline."""

import numpy as np
import pytest

import zoo
from zoo import registry
from zoo.kws_demo import bundled_clips

pytestmark = pytest.mark.tensorflow_only
NAME = "kws-att-bilstm"


def test_classifies_a_bundled_wav_with_keras_and_int8_tflite():
    yes = str(next(p for p, label in bundled_clips() if label == "yes"))
    assert zoo.predict(NAME, yes) == "yes"
    assert zoo.predict(NAME, yes, tflite="int8") == "yes"


def test_shipped_files_agree_with_keras(tmp_path):
    from zoo.api import read_audio

    clips = bundled_clips()
    audio = np.stack([read_audio(str(p)) for p, _ in clips])
    keras_probs = zoo.load(NAME).predict(audio, verbose=0)
    np.testing.assert_allclose(zoo.load_tflite(NAME, "float32")(audio), keras_probs, atol=1e-4)
    int8 = zoo.load_tflite(NAME, "int8")(audio)
    assert np.mean(int8.argmax(-1) == keras_probs.argmax(-1)) >= 5 / 6


def test_demo_exports_int8_and_prints_one_line_per_clip(tmp_path, capsys):
    from zoo import kws_demo

    assert kws_demo.main(["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / f"{NAME}.int8.tflite").is_file()
    for path, label in bundled_clips():
        assert any(line.startswith(path.name) and label in line for line in out.splitlines())


# Translators ship float16/int8 only and run through a decoder loop: their file-vs-Keras
# check is tests/models/test_translation_pretrained.py.
SHIPPED = sorted(p.parent.name for p in registry.package_dir().glob("*/SHA256SUMS")
                 if registry.get(p.parent.name).task != "translation")


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_model_loads_offline_and_matches_its_float32_file(name):
    from zoo.api import read_audio

    assert len(SHIPPED) >= 8
    entry = registry.get(name)
    if entry.task == "speech":
        x = np.stack([read_audio(str(p)) for p, _ in bundled_clips()])
    else:  # the real examples shipped with the model for int8 calibration
        x = entry.hook("representative_data")()
        x = [a[:6] for a in x] if isinstance(x, (list, tuple)) else x[:6]
    model = zoo.load(name)
    probs = model.predict(x, verbose=0)
    got = zoo.load_tflite(name, "float32")(*x) if isinstance(x, list) else \
        zoo.load_tflite(name, "float32")(x)
    np.testing.assert_allclose(got, probs, atol=1e-4)
    if entry.is_classifier:
        np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)
        # a model people use must be right on most clips; a no-attention twin, shipped to
        # measure attention against, must at least beat chance
        twin = name in registry.baseline_pairs().values()
        floor = 1.0 / len(entry.labels) if twin else 0.5
        assert zoo.model_card(name)["metrics"]["keras"]["accuracy"] > floor
