"""Real English game dialogue (zoo.data.speech_commands.game_dialogue) on a fake archive
written here from the format description (QTBL table, AMOS-banked .DOG, MP3 clips)."""

import io
import struct

import numpy as np
import pytest

from zoo.data.speech_commands import game_dialogue as gd
from zoo.data.speech_commands import running as rn


def _entries(start, items):
    """Dialogue lines from absolute offset `start`: 2 pad bytes, id, length-prefixed text
    padded to a multiple of 4 (offsets counted from the start of the dialogue data)."""
    out = bytearray()
    for line_id, text in items:
        out += b"\0\0" + struct.pack(">h", line_id) + bytes([len(text)]) + text.encode("latin-1")
        while (start + len(out)) % 4:
            out += b"\0"
    return bytes(out)


def _dog(talk_key, joe, person, greeting, again):
    """A .DOG with one dialogue level; `joe`/`person`: [(id, text)]; `greeting` Joe's first
    line, `again` (person, Joe) when met again."""
    levels = 1
    joe_off = 32 + levels * 96
    joe_block = _entries(joe_off, [(0, greeting)] + joe)      # entry 0 doubles as the greeting
    person_off = joe_off + len(joe_block)
    person_block = _entries(person_off, person)
    p2_off = person_off + len(person_block)
    p2 = bytes([len(again[0])]) + again[0].encode()
    p2 += b"\0" * (len(p2) % 2) + bytes([len(again[1])]) + again[1].encode()
    head = struct.pack(">hhhhh", levels, 9, talk_key, len(joe) + 1, len(person)) + b"\0" * 12
    head += struct.pack(">HHH", person_off, 0, p2_off) + b"\0" * 4
    body = head + b"\0" * (levels * 96) + joe_block + person_block + p2
    return b"AmBk" + b"\0" * 8 + b"Datas   " + body


def _mp3(seconds, rate=11025, freq=300.0):
    import soundfile as sf

    t = np.arange(int(seconds * rate)) / rate
    buf = io.BytesIO()
    sf.write(buf, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate, format="MP3")
    return buf.getvalue()


def _archive(files):
    """A QTBL archive of `files` ({name: bytes})."""
    names = sorted(files)
    table_len = 15 + 21 * len(names)
    table, blob, pos = bytearray(), bytearray(), table_len
    for n in names:
        table += n.encode().ljust(12, b"\0") + b"\1" + struct.pack(">II", pos + len(blob), len(files[n]))
        blob += files[n]
    return b"QTBL" + b"CEM10\0" + b"\0\0" + b"\1" + struct.pack(">H", len(names)) + bytes(table) + bytes(blob)


APE = _dog(2, joe=[(5, "Go left now.*03Then we wait.")],
           person=[(1, "Ummm....*06Hi, I'm Joe King.*03"), (0x1E, "*XY00(237,112)Nice weather today.")],
           greeting="Hello there, big fellow.", again=("Back again?", "Yes, it's me."))


def test_segments_cut_at_commands_and_skip_coordinates():
    assert gd.segments("Ummm....*06Hi, I'm Joe King.*03") == ["Ummm....", "Hi, I'm Joe King."]
    assert gd.segments("*XY00(237,112)Nice weather.") == ["", "Nice weather."]
    assert gd.segments("Plain line.") == ["Plain line."]


def test_dialogue_clips_name_every_segment_as_the_engine_does():
    clips = gd.dialogue_clips(APE, "APE.DOG")
    want = {
        "020005J1": ("Go left now.", "J"), "020005J2": ("Then we wait.", "J"),
        "020001P1": ("Ummm....", "P"), "020001P2": ("Hi, I'm Joe King.", "P"),
        "02001EP1": ("", "P"), "02001EP2": ("Nice weather today.", "P"),
        "02SSSSJ1": ("Hello there, big fellow.", "J"),
        "02XXXXP1": ("Back again?", "P"), "02XXXXJ1": ("Yes, it's me.", "J"),
    }
    assert {k: v for k, v in clips.items() if k != "020000J1"} == want


def test_index_round_trip_and_bad_archives():
    data = _archive({"A.SB": b"xyz", "APE.DOG": APE})
    idx = gd.read_index(data)
    assert data[slice(idx["A.SB"][0], sum(idx["A.SB"]))] == b"xyz" and set(idx) == {"A.SB", "APE.DOG"}
    with pytest.raises(ValueError, match="no QTBL table"):
        gd.read_index(b"RIFF" + data[4:])
    with pytest.raises(ValueError, match="past the end|cut short"):
        gd.read_index(data[:60])


def test_lines_keep_clips_that_exist_and_name_the_speaker():
    data = _archive({"APE.DOG": APE, "BOB3.DOG": _dog(3, [], [(2, "Stop right there!")], "Hi.", ("A", "B")),
                     "020005J1.SB": b"", "020001P2.SB": b"", "030002P1.SB": b"", "02001EP1.SB": b""})
    got = [(ln.clip, ln.speaker, ln.text) for ln in gd.lines(data)]
    # 02001EP1 is an empty segment (the *XY command comes first): no text, left out
    assert got == [("020001P2", "APE", "Hi, I'm Joe King."), ("020005J1", "JOE", "Go left now."),
                   ("030002P1", "BOB", "Stop right there!")]


@pytest.fixture
def game(tmp_path, monkeypatch):
    """A fake unpacked package: one training character (APE, with Joe), one dev one (TAM)."""
    tam = _dog(4, [], [(1, "No more bananas."), (2, "The jungle is quiet tonight.")], "Hey.", ("Yo", "Hi"))
    bob = _dog(3, [], [(1, "Stop that now!")], "Hi.", ("A", "B"))
    files = {"APE.DOG": APE, "TAM.DOG": tam, "BOB.DOG": bob}
    for i, clip in enumerate(["020005J1", "020005J2", "020001P2", "02001EP2", "02XXXXP1", "040001P1",
                              "040002P1", "030001P1"]):
        files[f"{clip}.SB"] = _mp3(1.0 + 0.5 * (i % 3), freq=200 + 50 * i)
    cache = tmp_path / "debs"
    monkeypatch.setattr(gd, "ARCHIVE", "fake/queen.1c")
    root = cache / gd.PACKAGE
    (root / "fake").mkdir(parents=True)
    (root / "fake" / "queen.1c").write_bytes(_archive(files))
    (root / ".unpacked").write_text("fake\n")
    monkeypatch.setattr(gd, "DEV_CHARACTERS", frozenset({"TAM"}))
    return cache


def test_build_pool_from_training_speakers_and_dev_streams_from_the_others(game, tmp_path):
    data = tmp_path / "data"
    out = gd.build(data, minutes=10, workers=1, fetch=False, cache=game, progress=False, log=lambda m: None)
    pool = (data / "game" / "pool.csv").read_text()
    # training pool: APE and Joe lines without a keyword ("Go left now." has two)
    assert out["train_pool_items"] == 4 and "Go left now" not in pool and "TAM" not in pool
    assert "Stop that" not in pool
    crops = rn.load_running(data / "game", "train", 8, seed=0, seconds=0.5)
    assert crops.shape == (8, 8000) and np.abs(crops).max() > 0.01
    _, free = rn.load_stream(data, "dev_real_game_free")
    x, kw = rn.load_stream(data, "dev_real_game_keywords")
    assert [s["text"] for s in free["segments"]] == ["The jungle is quiet tonight."]
    assert [(s["text"], s["keywords"]) for s in kw["segments"]] == [("No more bananas.", ["no"])]
    seg = kw["segments"][0]
    a, b = (int(round(v * 16000)) for v in (seg["start_s"], seg["end_s"]))
    # the dev line is the decoded clip, as recorded: its tone (200 + 50 * 5 Hz) at 16 kHz
    spectrum = np.abs(np.fft.rfft(x[a:b]))
    assert abs(np.argmax(spectrum) * 16000 / (b - a) - 450) < 15
    again = gd.build(data, minutes=10, workers=1, fetch=False, cache=game, progress=False, log=lambda m: None)
    assert again["train_pool_items"] == 4                   # re-run: same plan, nothing new
    with pytest.raises(ValueError, match="other settings"):
        gd.build(data, minutes=20, workers=1, fetch=False, cache=game, progress=False, log=lambda m: None)


def test_missing_package_without_fetch_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(gd, "ARCHIVE", "fake/queen.1c")
    with pytest.raises(FileNotFoundError, match="neither installed nor unpacked"):
        gd.archive_path(fetch=False, cache=tmp_path)


def test_decode_refuses_what_is_not_audio():
    with pytest.raises(ValueError, match="could not be decoded"):
        gd.decode(b"not an mp3 at all" * 10)
    x, sr = gd.decode(_mp3(0.5))
    assert sr == 11025 and abs(len(x) - 5512) < 2000 and np.abs(x).max() > 0.1


def test_keyword_times_keep_lines_with_one_aligned_keyword(game, tmp_path):
    from zoo.data.speech_commands import keyword_sentences as ks

    lines = [gd.Line("A1", "Go left now.", "JOE", "X.DOG"), gd.Line("A2", "Then stop, please.", "JOE", "X.DOG"),
             gd.Line("A3", "No keyword here.", "APE", "X.DOG"), gd.Line("A4", "Up we go.", "APE", "X.DOG"),
             gd.Line("A5", "Nothing to say.", "APE", "X.DOG")]
    clips = {}
    for i, ln in enumerate(lines):
        clips[ln.clip] = tmp_path / f"{ln.clip}.wav"
        x = np.zeros(11025 * 2, np.float32)
        x[1000:12000] = 0.2 * np.sin(np.arange(11000) / (3.0 + i))
        import zoo.data.audio as za
        za.write_wav(clips[ln.clip], x, 11025)
    seen = []

    def align(x, words):               # a fake aligner: word k spans [0.3 k, 0.3 k + 0.25)
        seen.append((len(x), words))
        if words[0] == "up":
            return []                  # could not align
        return [(w, 0.3 * k, 0.3 * k + 0.25) for k, w in enumerate(words)]

    found = gd.keyword_times(lines, clips, align)
    # "Go left now." holds two keywords and "No keyword here." one ("no"); "Up we go." two
    assert [(ln.clip, kw, a, b) for ln, kw, a, b in found] == [
        ("A2", "stop", 0.3, 0.55), ("A3", "no", 0.0, 0.25)]
    assert seen[0] == (32000, ["then", "stop", "please"])       # 2 s at 16 kHz, lower-case words
    n = gd.write_keyword_sentences(tmp_path / "game", found, clips)
    audio_, ys, starts, ends = ks.load_keyword_sentences(tmp_path / "game", "train", ["_silence_", "no", "stop"])
    assert n == 2 and ys.tolist() == [2, 1] and starts.tolist() == [0.3, 0.0] and ends.tolist() == [0.55, 0.25]
    assert len(audio_[0]) == 32000


def test_trainer_appends_real_keyword_sentences_n_times(game, tmp_path):
    from zoo.models.kws.train_causal import add_real_keywords

    data = tmp_path / "data"
    gd.build(data, minutes=10, workers=1, fetch=False, cache=game, progress=False, log=lambda m: None,
             align=lambda x, words: [(w, 0.1 * k, 0.1 * k + 0.1) for k, w in enumerate(words)])
    labels = ["_silence_", "_unknown_", "no", "stop"]
    tts = ([np.zeros(100, np.float32)], np.array([3]), np.array([0.5]), np.array([0.7]))
    clips, ys, starts, ends = add_real_keywords(tts, data, labels, 3)
    # BOB's "Stop that now!" is the one training line with one keyword ("Go left now." holds two,
    # TAM's "No more bananas." is dev): added three times after the TTS sentence
    assert len(clips) == 4 and ys.tolist() == [3, 3, 3, 3]
    assert starts.tolist() == [0.5, 0.0, 0.0, 0.0] and ends.tolist() == [0.7, 0.1, 0.1, 0.1]
    assert len(clips[1]) == 24000                          # the clip as recorded: 1.5 s at 16 kHz
    with pytest.raises(SystemExit, match="--real-keywords 0"):
        add_real_keywords(tts, data, labels, 0)


def test_sphinx_aligner_places_words_in_order_on_synthetic_speech(tmp_path):
    import shutil

    import soundfile as sf

    from zoo.data.audio import resample
    from zoo.data.speech_commands.engines import _run

    pytest.importorskip("pocketsphinx")
    if shutil.which("flite") is None:
        pytest.skip("needs flite")
    _run(["flite", "-t", "please go left now", "-o", str(tmp_path / "f.wav")], what="flite")
    x, sr = sf.read(tmp_path / "f.wav", dtype="float32")
    x = resample(x, sr, 16000)
    align = gd.sphinx_aligner()
    spans = align(x, ["please", "go", "left", "now"])
    assert [w for w, _, _ in spans] == ["please", "go", "left", "now"]
    starts = [a for _, a, _ in spans]
    assert starts == sorted(starts) and starts[0] > 0.05 and spans[-1][2] <= len(x) / 16000 + 0.02
    assert align(x, ["zzqx", "blorf"]) == []                            # not in its dictionary
    assert align(x[: len(x) // 3], ["please", "go", "left", "now"]) == []   # stops short: refused


def test_cli_names_bad_input(tmp_path, capsys, monkeypatch):
    from zoo.data.speech_commands.__main__ import main

    monkeypatch.setattr(gd, "ARCHIVE", "fake/queen.1c")
    assert main(["game", "--data-dir", str(tmp_path), "--minutes", "0", "--no-fetch"]) == 2
    assert "minutes must be a positive number" in capsys.readouterr().err
    monkeypatch.setattr("zoo.data.speech_commands.real_dev._cache", lambda: tmp_path / "debs")
    assert main(["game", "--data-dir", str(tmp_path), "--no-fetch", "--no-progress"]) == 2
    assert "neither installed nor unpacked" in capsys.readouterr().err


def test_cards_name_the_game_and_its_licence():
    from types import SimpleNamespace

    from zoo.data import sources
    from zoo.models.kws.train_causal import limitation

    found = sources.sources_of({"source": "zoo.data.speech_commands.build (...); "
                                          "zoo.data.speech_commands.game_dialogue"})
    game = [s for s in found if "Amazon Queen" in s["name"]]
    assert len(game) == 1 and game[0]["license"].startswith("freeware")
    assert game[0]["evidence"] == f"/usr/share/doc/{gd.PACKAGE}/copyright"
    said = limitation(SimpleNamespace(real_english=0.5, real_keywords=0))
    assert "real English game dialogue" in said and "keywords in real game lines" not in said
    assert "real English" not in limitation(SimpleNamespace(real_english=0, real_keywords=0))
