"""zoo.data.speech_commands: the offline synthetic Speech Commands builder and loader.

The builds need espeak-ng, flite and sox (`bash scripts/setup_system.sh`) and SciPy;
those tests are skipped when the tools are missing. The loader and planner tests
need nothing beyond NumPy.
"""

from __future__ import annotations

import collections
import shutil
import struct
import time
import wave

import numpy as np
import pytest

from zoo.data import audio
from zoo.data import speech_commands as sc
from zoo.data.speech_commands import engines as sc_engines

ENGINES = ("espeak-ng", "flite")
N = 6  # clips per keyword in the tiny build


def _have(*engines):
    return sc_engines._tools_missing_reason() is None and all(sc.engine_missing_reason(e) is None for e in engines)




@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    if not _have(*ENGINES):
        pytest.skip(f"needs espeak-ng, flite, sox and scipy ({sc.SETUP_COMMAND})")
    root = tmp_path_factory.mktemp("kws") / "a"
    res = sc.build(root, clips_per_keyword=N, seed=3, workers=2, engines=ENGINES, reverb="synthetic", progress=False)
    return root, res


def _wav_files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.glob("*/*.wav"))}


# ----------------------------------------------------------------------- tiny build

def test_tiny_build_format_and_balance(tiny):
    root, res = tiny
    rows = sc.read_manifest(root)
    assert res["generated"] == len(rows) == N * len(sc.LABELS)
    assert tuple(rows[0]) == sc.MANIFEST_FIELDS
    assert collections.Counter(r["label"] for r in rows) == {label: N for label in sc.LABELS}
    assert {r["engine"] for r in rows} <= set(ENGINES) | {"noise"}
    for r in rows:
        with wave.open(str(root / r["path"])) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()) == (16000, 1, 2, 16000)
        x, _ = audio.read_wav(root / r["path"])
        assert np.abs(x).max() > 1e-4, r["path"]            # not empty
    # the Speech Commands list files agree with the manifest
    val = (root / "validation_list.txt").read_text().split()
    test = (root / "testing_list.txt").read_text().split()
    assert val == [r["path"] for r in rows if r["split"] == "validation"]
    assert test == [r["path"] for r in rows if r["split"] == "test"]
    assert (root / "_cache" / "impulses" / "SOURCE").read_text().strip() == "synthetic"


def test_no_speaker_in_two_splits(tiny):
    root, _ = tiny
    splits = collections.defaultdict(set)
    for r in sc.read_manifest(root):
        if r["label"] != sc.SILENCE:
            assert r["speaker"] == sc.speaker_id(r["engine"], r["voice"], r["variant"])
            splits[r["speaker"]].add(r["split"])
            assert r["split"] == sc.speaker_split(r["engine"], r["voice"], r["variant"])
    assert splits and all(len(s) == 1 for s in splits.values())


def test_deterministic_and_resumable(tiny, tmp_path):
    root, _ = tiny
    other = tmp_path / "b"
    res = sc.build(other, clips_per_keyword=N, seed=3, workers=1, engines=ENGINES, reverb="synthetic", progress=False)
    assert res["generated"] == N * len(sc.LABELS)
    # same seed -> identical manifest and WAV bytes, whatever the worker count
    assert (other / "manifest.csv").read_bytes() == (root / "manifest.csv").read_bytes()
    ref = _wav_files(root)
    assert _wav_files(other) == ref

    # resume: delete a few clips, leave a stale temp file, re-run
    gone = sorted(ref)[::17][:5]
    for rel in gone:
        (other / rel).unlink()
    (other / "yes" / ".junk.wav.abc.part").write_bytes(b"x")
    before = {p: (other / p).stat().st_mtime_ns for p in ref if p not in gone}
    res = sc.build(other, clips_per_keyword=N, seed=3, workers=2, engines=ENGINES, reverb="synthetic", progress=False)
    assert (res["generated"], res["skipped"]) == (len(gone), len(ref) - len(gone))
    assert _wav_files(other) == ref
    assert {p: (other / p).stat().st_mtime_ns for p in before} == before   # others untouched
    assert not list(other.glob("*/*.part"))

    # a different seed in the same dir is refused
    with pytest.raises(ValueError, match="other settings"):
        sc.build(other, clips_per_keyword=N, seed=4, workers=1, engines=ENGINES, reverb="synthetic", progress=False)


def test_load_synthetic(tiny):
    root, _ = tiny
    rows = sc.read_manifest(root)
    total = 0
    for split in sc.SPLITS:
        x, y, names = sc.load(root, split)
        n = sum(r["split"] == split for r in rows)
        assert x.shape == (n, 16000) and x.dtype == np.float32 and y.shape == (n,)
        assert names == sc.LABELS
        assert np.all(np.abs(x) <= 1.0)
        total += n
    assert total == len(rows)
    _, y, _ = sc.load(root, "val")
    assert list(y) == [sc.LABELS.index(r["label"]) for r in rows if r["split"] == "validation"]


# ----------------------------------------------------------------------- planning (no audio)

def test_plan_split_rule_all_engines():
    specs = sc.plan(300, seed=0, engines=sc.ALL_ENGINES, impulses=("ir_a", "ir_b"))
    labels = collections.Counter(r["label"] for r in specs)
    assert labels == {label: 300 for label in sc.LABELS}
    by_speaker = collections.defaultdict(set)
    for r in specs:
        if r["label"] != sc.SILENCE:
            by_speaker[r["speaker"]].add(r["split"])
    assert all(len(s) == 1 for s in by_speaker.values())
    split_of = {k: next(iter(v)) for k, v in by_speaker.items()}
    # whole natural voices are test-only; one human voice never spans two splits
    assert split_of["piper/joe"] == split_of["festival/ked_diphone"] == "test"
    assert split_of["flite/kal16"] == split_of["festival/kal_diphone"] == "train"
    assert split_of["flite/slt"] == split_of["festival/cmu_us_slt_arctic_hts"] == "train"
    assert split_of["flite/rms"] == "validation"
    for spk, s in split_of.items():
        if spk.startswith("espeak-ng/"):
            variant = spk.rsplit("/", 1)[1]
            expect = ("validation" if variant in sc.ESPEAK_VALIDATION_VARIANTS
                      else "test" if variant in sc.ESPEAK_TEST_VARIANTS else "train")
            assert s == expect
    # espeak variants are held out across all accents
    assert not set(sc.ESPEAK_VALIDATION_VARIANTS) & set(sc.ESPEAK_TEST_VARIANTS)
    # every split has every class, and silence follows the keyword proportions
    per = collections.Counter((r["split"], r["label"]) for r in specs)
    for s in sc.SPLITS:
        kw = np.mean([per[(s, k)] for k in sc.KEYWORDS])
        assert per[(s, sc.SILENCE)] == pytest.approx(kw, rel=0.05, abs=2)
        assert all(per[(s, label)] > 0 for label in sc.LABELS)
    # unknown: near-misses and other words, never a keyword; only TTS, no real recordings
    unk = [r for r in specs if r["label"] == sc.UNKNOWN]
    assert not any(r["text"].rstrip(".!?") in sc.KEYWORDS for r in unk)
    assert {r["engine"] for r in specs} == set(sc.TTS_ENGINES) | {"noise"}
    assert not any(r["source"] for r in specs)


# The plan of the four TTS engines is byte-identical to the one before asterisk/ALSA were
# removed (hashes computed with the code at b7841c2, which still had them): data dirs
# built before stay valid and resumable.
@pytest.mark.parametrize("engines,seed,digest", [
    (("espeak-ng", "flite", "festival", "piper"), 0, "adbf27af2dd1ed0cefad6ed35ab5d4e4d6676165c0723dead7a078afefbcf17a"),
    (("espeak-ng", "flite", "festival", "piper"), 3, "f54a0200d5908b3515787c603eca64ca62d69e16d3a9c2e46f34a2322a6655b3"),
    (("espeak-ng", "flite"), 0, "8d042c86e9fccfa8033aa0ccd802d8e2b08c0e8e405f6d61b26a07faad5f7cba"),
])
def test_plan_unchanged_for_tts_engines(engines, seed, digest):
    import hashlib
    import json

    music = {"train": [("a.wav", 100.0), ("b.wav", 80.0)], "validation": [("v.wav", 50.0)],
             "test": [("t.wav", 60.0)]}
    p = sc.plan(40, seed=seed, engines=engines, impulses=("ir-a", "ir-b"), music=music)
    assert len(p) == 480
    assert hashlib.sha256(json.dumps(p, sort_keys=True).encode()).hexdigest() == digest


@pytest.mark.parametrize("source", ["asterisk", "alsa"])
def test_reserved_recordings_are_refused(source, tmp_path):
    assert sc.ALL_ENGINES == sc.TTS_ENGINES
    for call in (lambda: sc.resolve_engines([source]), lambda: sc.resolve_engines(f"espeak-ng,{source}"),
                 lambda: sc.plan(5, engines=("espeak-ng", source)),
                 lambda: sc.build(tmp_path / "d", 1, engines=source, progress=False)):
        with pytest.raises(ValueError, match="reserved for evaluation") as e:
            call()
        assert "espeak-ng" in str(e.value)          # names what to use instead
    assert not (tmp_path / "d").exists()


def test_plan_is_deterministic():
    a = sc.plan(20, seed=5, engines=("espeak-ng", "flite"))
    assert a == sc.plan(20, seed=5, engines=("espeak-ng", "flite"))
    assert a != sc.plan(20, seed=6, engines=("espeak-ng", "flite"))


# ----------------------------------------------------------------------- every engine renders

@pytest.mark.parametrize("engine", sc.ALL_ENGINES)
def test_each_engine_renders(engine, tmp_path):
    if not _have(engine):
        pytest.skip(sc.engine_missing_reason(engine) or sc_engines._tools_missing_reason())
    specs = sc.plan(200, seed=1, engines=(engine,))
    spec = next(r for r in specs if r["engine"] == engine)
    sc_engines._init_worker(str(tmp_path))
    try:
        x = sc.render(spec)
        assert np.array_equal(x, sc.render(spec))          # deterministic in-process too
    finally:
        sc_engines._close_worker()
    assert x.shape == (16000,) and x.dtype == np.float32 and 0.01 < np.abs(x).max() <= 1.0


# ----------------------------------------------------------------------- missing engines

def test_missing_engine_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))          # no espeak-ng, no sox
    with pytest.raises(sc.EngineUnavailableError) as e:
        sc.build(tmp_path / "out", clips_per_keyword=1, engines=("espeak-ng",), progress=False)
    msg = str(e.value)
    assert "espeak-ng" in msg and "sox" in msg and sc.SETUP_COMMAND in msg and "available" in msg
    assert not (tmp_path / "out").exists()


def test_available_skips_missing_engines(monkeypatch):
    monkeypatch.setattr(sc_engines, "_tools_missing_reason", lambda: None)
    monkeypatch.setattr(sc_engines, "engine_missing_reason",
                        lambda e: "flite needs the Debian package 'flite'" if e == "flite" else None)
    with pytest.warns(UserWarning, match="skipping engine 'flite'"):
        chosen = sc.resolve_engines("available")
    assert "flite" not in chosen and "espeak-ng" in chosen
    with pytest.raises(sc.EngineUnavailableError, match="flite"):
        sc.resolve_engines(["espeak-ng", "flite"])
    with pytest.raises(ValueError, match="unknown engine"):
        sc.resolve_engines(["espeak"])


def test_missing_piper_names_the_pip_extra(monkeypatch):
    import importlib.util

    find = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda m, *a: None if m == "piper" else find(m, *a))
    msg = sc.engine_missing_reason("piper")
    assert "piper-tts" in msg and sc.PIP_COMMAND in msg


# ----------------------------------------------------------------------- real corpus layout

def _tone(n, freq, amp=0.3):
    return (amp * np.sin(2 * np.pi * freq * np.arange(n) / 16000)).astype(np.float32)


@pytest.fixture
def real_layout(tmp_path):
    root = tmp_path / "speech_commands_v0.02"
    words = {"yes": 6, "no": 6, "bed": 5, "cat": 5}
    files = {}
    for w, n in words.items():
        (root / w).mkdir(parents=True)
        for i in range(n):
            rel = f"{w}/spk{i % 3}_nohash_{i}.wav"
            length = 16000 if i % 2 else 12000                     # some clips < 1 s
            audio.write_wav(root / rel, _tone(length, 200 + 50 * i), 16000)
            files[rel] = w
    (root / "_background_noise_").mkdir()
    audio.write_wav(root / "_background_noise_" / "white.wav",
                    np.random.default_rng(0).uniform(-0.5, 0.5, 16000 * 20).astype(np.float32), 16000)
    (root / "_background_noise_" / "README.md").write_text("noise")
    val = ["yes/spk0_nohash_0.wav", "no/spk0_nohash_0.wav", "bed/spk0_nohash_0.wav"]
    test = ["yes/spk1_nohash_1.wav", "no/spk1_nohash_1.wav", "cat/spk1_nohash_1.wav", "cat/spk2_nohash_2.wav"]
    (root / "validation_list.txt").write_text("\n".join(val) + "\n")
    (root / "testing_list.txt").write_text("\n".join(test) + "\n")
    return root, files, val, test


def test_load_real_layout(real_layout):
    root, files, val, test = real_layout
    yes, no, unk, sil = (sc.LABELS.index(k) for k in ("yes", "no", sc.UNKNOWN, sc.SILENCE))

    x, y, names = sc.load(root, "validation")
    assert names == sc.LABELS
    assert sorted(y.tolist()) == sorted([yes, no, unk, sil])        # bed -> unknown, 1 silence window
    x, y, _ = sc.load(root, "test")
    assert collections.Counter(y.tolist()) == {yes: 1, no: 1, unk: 1, sil: 1}   # 2 cats balanced to 1

    x, y, _ = sc.load(root, "train", balance_unknown=False)
    train = [r for r in files if r not in val and r not in test]
    assert x.shape == (len(train) + 4, 16000) and x.dtype == np.float32
    assert collections.Counter(y.tolist()) == {yes: 4, no: 4, unk: 4 + 3, sil: 4}
    # clips are zero-padded at the end to 1 s, silence is noise
    i = sorted(train).index("bed/spk2_nohash_2.wav")
    assert np.all(x[i, 12000:] == 0) and np.abs(x[i, :12000]).max() > 0.1
    assert np.abs(x[y == sil]).max() > 0
    x2, y2, _ = sc.load(root, "train")
    assert collections.Counter(y2.tolist())[unk] == 4                   # balanced to one keyword
    x3, _, _ = sc.load(root, "train")
    assert np.array_equal(x2, x3)                                       # deterministic


def test_download_extracts_the_archive(real_layout, tmp_path):
    import tarfile

    root = real_layout[0]
    archive = tmp_path / "speech_commands_v0.02.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for p in sorted(root.rglob("*")):
            tar.add(p, arcname=p.relative_to(root).as_posix(), recursive=False)
    dest = sc.download(tmp_path / "dl", url=archive.resolve().as_uri())   # urllib, no network
    assert (dest / "testing_list.txt").is_file() and (dest / archive.name).is_file()
    x, y, _ = sc.load(dest, "test")
    assert x.shape == (4, 16000)


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="manifest.csv"):
        sc.load(tmp_path, "train")
    with pytest.raises(ValueError, match="split"):
        sc.load(tmp_path, "dev-clean")


# ----------------------------------------------------------------------- audio helpers

def test_parse_wav_variants():
    x = np.linspace(-0.9, 0.9, 50).astype(np.float32)
    back, sr = audio.parse_wav_bytes(audio.wav_bytes(x, 22050))
    assert sr == 22050 and np.allclose(back, x, atol=1e-4)
    # 24-bit stereo (the impulse responses) and a streamed header with a bogus length
    v = np.round(x * (2 ** 23 - 1)).astype(np.int32)
    pcm24 = b"".join(struct.pack("<i", int(s))[:3] * 2 for s in v)
    fmt = struct.pack("<HHIIHH", 1, 2, 44100, 44100 * 6, 6, 24)
    data = b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVEfmt " + struct.pack("<I", len(fmt)) + fmt
    data += b"data" + struct.pack("<I", 0xFFFFFFFF) + pcm24
    back, sr = audio.parse_wav_bytes(data)
    assert sr == 44100 and np.allclose(back, x, atol=1e-6)
    with pytest.raises(ValueError, match="RIFF"):
        audio.parse_wav_bytes(b"not a wav")


def test_split_words_and_trim():
    sil, word = np.zeros(3200, np.float32), _tone(4000, 300)
    x = np.concatenate([sil, word, np.zeros(4800, np.float32), word, sil])
    (a0, a1), (b0, b1) = audio.split_words(x, 16000)
    assert abs(a0 - 3200) <= 320 and abs(b1 - 16000) <= 320 and a1 < b0
    t = audio.trim_silence(x, 16000)
    assert 12800 <= len(t) <= 12800 + 1000          # both words and the pause, plus margins


# ----------------------------------------------------------------------- throughput (slow)

@pytest.mark.slow
def test_build_throughput_200_per_keyword(tmp_path):
    if not _have(*ENGINES):
        pytest.skip(f"needs espeak-ng, flite, sox and scipy ({sc.SETUP_COMMAND})")
    t = time.monotonic()
    res = sc.build(tmp_path / "kws", clips_per_keyword=200, seed=0, workers=2, engines="available",
                   reverb="synthetic", progress=False)
    seconds = time.monotonic() - t
    rate = res["clips"] / seconds
    print(f"\n{res['clips']} clips in {seconds:.1f} s = {rate:.1f} clips/s with {res['engines']}")
    assert res["clips"] == 200 * len(sc.LABELS)
    assert collections.Counter(r["label"] for r in sc.read_manifest(tmp_path / "kws")) == {
        label: 200 for label in sc.LABELS}
    assert rate > 15, f"{rate:.1f} clips/s"      # ~120 clips/s measured on 2 shared cores
    shutil.rmtree(tmp_path / "kws")
