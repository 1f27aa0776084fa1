"""The guard that keeps the evaluation-only recordings (asterisk English, ALSA) out of
training data, and that every training-data reader of speech_commands calls it."""

import numpy as np
import pytest

from zoo.data import reserved
from zoo.data import speech_commands as sc


@pytest.mark.parametrize("path,expect", [
    ("/usr/share/asterisk/sounds/en/digits/1.wav", True),
    ("/usr/share/asterisk/sounds/en_US_f_Allison/hello.gsm", True),
    ("/usr/share/asterisk/sounds/en_GB/hello.g722", True),
    ("/usr/share/sounds/alsa/Front_Left.wav", True),
    ("/usr/share/sounds/alsa/../alsa/Noise.wav", True),
    ("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz", True),
    ("/usr/share/asterisk/sounds/es/hello.wav", False),
    ("/usr/share/asterisk/sounds/fr_CA_f_June/hello.wav", False),
    ("/usr/share/asterisk/moh/macroform-cold_day.wav", False),
    ("/usr/share/sounds/alsaish/x.wav", False),
    ("/tmp/en/x.wav", False),
])
def test_is_reserved(path, expect):
    assert reserved.is_reserved(path) is expect


def test_a_link_to_a_reserved_file_is_reserved(tmp_path):
    link = tmp_path / "innocent.wav"
    link.symlink_to("/usr/share/sounds/alsa/Front_Left.wav")
    assert reserved.is_reserved(link)
    with pytest.raises(reserved.ReservedDataError, match="reserved for evaluation"):
        reserved.check_not_reserved([tmp_path / "ok.wav", link])
    reserved.check_not_reserved([tmp_path / "ok.wav"])       # fine: returns None


def test_load_refuses_a_manifest_that_points_at_reserved_audio(tmp_path):
    (tmp_path / "manifest.csv").write_text(
        "path,label,split,engine,voice,variant,pitch,speed,augmentation,seed,speaker,text,source\n"
        "/usr/share/sounds/alsa/Front_Left.wav,left,train,alsa,alsa,,,,,0,alsa/alsa,left,\n")
    with pytest.raises(reserved.ReservedDataError, match="Front_Left.wav"):
        sc.load(tmp_path, "train")


def test_real_layout_background_noise_is_checked(tmp_path, monkeypatch):
    from zoo.data.speech_commands import loader

    calls = []
    monkeypatch.setattr(loader, "check_not_reserved", lambda paths: calls.append(list(paths)))
    (tmp_path / "yes").mkdir()
    from zoo.data import audio
    audio.write_wav(tmp_path / "yes" / "a_nohash_0.wav", np.zeros(16000, np.float32), 16000)
    sc.load(tmp_path, "train")
    assert calls and any(str(tmp_path / "yes" / "a_nohash_0.wav") in map(str, c) for c in calls)
