"""Real-speech dev streams (zoo.data.speech_commands.real_dev) on fake package trees."""

import gzip
import shutil

import numpy as np
import pytest

from zoo.data import audio
from zoo.data.reserved import ReservedDataError
from zoo.data.speech_commands import real_dev as rd
from zoo.data.speech_commands import running as rn
from zoo.demo import scoring


def _tone(seconds, rate, freq=440.0):
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.fixture
def packages(tmp_path, monkeypatch):
    """An unpacked cache of three fake packages and the Italian transcripts."""
    cache = tmp_path / "debs"
    it = cache / "asterisk-prompt-it-menardi-wav" / "usr/share/asterisk/sounds/it_IT_f_Menardi"
    (it / "digits").mkdir(parents=True)
    for name in ("vm-nomessages", "hello", "digits/1", "letters-x"):
        audio.write_wav(it / f"{name}.wav", _tone(1.0, 8000), 8000)
    doc = tmp_path / "core-sounds-it.txt.gz"
    doc.write_bytes(gzip.compress("vm-nomessages: Non ci sono messaggi\nhello: Buongiorno\n"
                                  "digits/1: uno\n".encode()))
    monkeypatch.setattr(rn, "FOREIGN_TRANSCRIPT", str(doc))
    sphinx = cache / "pocketsphinx-testdata" / "usr/share/pocketsphinx/test/data"
    (sphinx / "cards").mkdir(parents=True)
    for i in (1, 2, 3):
        audio.write_wav(sphinx / "cards" / f"00{i}.wav", _tone(0.5, 16000), 16000)
    (sphinx / "cards" / "cards.transcription").write_text(
        "<s> ten of clubs </s> (001)\n<s> go to the left </s> (002)\n")   # 003: no transcript
    game = cache / "hedgewars-data" / rd.GAME_VOICES
    for voice in ("Pirate", "Russian"):
        (game / voice).mkdir(parents=True)
        for event in ("Hello", "Nooo", "Yessir", "Takecover"):
            audio.write_wav(game / voice / f"{event}.wav", _tone(0.4, 44100), 44100)
    for pkg in ("asterisk-prompt-it-menardi-wav", "pocketsphinx-testdata", "hedgewars-data"):
        (cache / pkg / ".unpacked").write_text("fake\n")
    monkeypatch.setattr(rd, "DPKG_INFO", tmp_path / "no-dpkg")
    monkeypatch.setattr(rd, "PACKAGES", {"asterisk-prompt-it-menardi-wav": "it",
                                         "pocketsphinx-testdata": "en", "hedgewars-data": "game",
                                         "ktuberling-data": "words"})
    return cache


def test_utterances_drop_keywords_and_sound_alikes(packages):
    logs = []
    got = rd.utterances(cache=packages, log=logs.append)      # ktuberling: not there, no fetch
    texts = sorted(t for _, _, t in got)
    # Italian: "Non ci sono messaggi" (non ~ "no") left out, the untranscribed letters-x kept
    # by its name; English: "go to the left" and the untranscribed 003 left out; game events
    # Nooo / Yessir left out in every pack.
    assert texts == sorted(["Buongiorno", "uno", "", "ten of clubs",
                            "Hello", "Takecover", "Hello", "Takecover"])
    assert any("ktuberling-data" in m and "without --no-fetch" in m for m in logs)


def test_stream_of_splits_english_from_other_languages():
    assert rd.stream_of("pocketsphinx-testdata", "/x/cards/001.wav") == "english"
    assert rd.stream_of("hedgewars-data", f"/{rd.GAME_VOICES}Pirate/Hello.ogg") == "english"
    assert rd.stream_of("hedgewars-data", f"/{rd.GAME_VOICES}Default_ru/Hello.ogg") == "other"
    assert rd.stream_of("asterisk-prompt-es-co", "/x/es/hello.gsm") == "other"


def test_build_writes_both_streams_with_exact_segment_times(packages, tmp_path):
    data = tmp_path / "data"
    (data / "running" / "streams").mkdir(parents=True)
    out = rd.build(data, fetch=False, cache=packages, log=lambda m: None)
    assert set(out) == {"dev_real_en_free", "dev_real_other_free"}
    x, meta = rn.load_stream(data, "dev_real_en_free")
    # English: cards 001 (0.5 s) + Pirate Hello, Takecover (0.4 s each), 0.5 s gaps
    assert len(meta["segments"]) == 3 and meta["language"] == "english"
    assert meta["duration_s"] == pytest.approx(0.5 * 4 + 0.5 + 0.4 + 0.4, abs=1e-3)
    for seg in meta["segments"]:
        a, b = (int(round(v * 16000)) for v in (seg["start_s"], seg["end_s"]))
        assert np.abs(x[a:b]).max() > 0.25 and seg["keywords"] == []
        assert np.abs(x[a - 400:a - 1]).max() < 1e-3       # silence before each utterance
    _, other = rn.load_stream(data, "dev_real_other_free")
    assert {s["source"].split(":")[0] for s in other["segments"]} == {
        "asterisk-prompt-it-menardi-wav", "hedgewars-data"}


def test_reserved_recordings_are_refused(packages, monkeypatch):
    reserved = packages / "pocketsphinx-testdata"
    monkeypatch.setattr(rd, "_sphinx_transcripts", lambda files: {})
    monkeypatch.setattr(rd, "package_files", lambda package, **kw: [
        __import__("pathlib").Path("/usr/share/asterisk/sounds/en/hello.wav")])
    monkeypatch.setattr(rd, "PACKAGES", {"asterisk-prompt-it-menardi-wav": "it"})
    monkeypatch.setattr(rn, "_transcripts", lambda lang: {})
    with pytest.raises(ReservedDataError, match="reserved for evaluation"):
        rd.utterances(cache=reserved)


def test_join_segments_places_each_item_after_its_gap():
    x, segs = scoring.join_segments([(np.ones(3), "a", [], "s1"), (np.ones(5), "b", ["no"], "s2")],
                                    0.5, sample_rate=4)
    assert x.tolist() == [0, 0] + [1] * 3 + [0, 0] + [1] * 5 + [0, 0]
    assert [(s["start_s"], s["end_s"], s["keywords"]) for s in segs] == [(0.5, 1.25, []), (1.75, 3.0, ["no"])]


@pytest.mark.skipif(shutil.which("sox") is None, reason="needs sox")
def test_load_decodes_gsm_at_16_khz(tmp_path):
    src = tmp_path / "tone.wav"
    audio.write_wav(src, _tone(1.0, 8000, 300.0), 8000)
    gsm = tmp_path / "tone.gsm"
    rn._run(["sox", "-V1", str(src), "-r", "8000", "-c", "1", str(gsm)], what="sox")
    y = rd.load(gsm)
    assert abs(len(y) - 16000) <= 200
    spectrum = np.abs(np.fft.rfft(y[2000:14000]))
    peak_hz = np.argmax(spectrum) * 16000 / 12000
    assert abs(peak_hz - 300) < 10                      # the tone survives GSM, at 16 kHz


def test_missing_package_without_fetch_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(rd, "DPKG_INFO", tmp_path)
    with pytest.raises(FileNotFoundError, match="hedgewars-data is neither installed nor unpacked"):
        rd.package_files("hedgewars-data", cache=tmp_path / "debs")
