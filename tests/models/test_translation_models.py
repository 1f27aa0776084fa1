"""Translators: training graph vs one-step decoder, TFLite file vs Keras, trainer, API
(zoo.models.translation, export.seq2seq, zoo.models.translation.tflite)."""

import json

import keras
import numpy as np
import pytest

from export import seq2seq
from zoo.models.translation import export as translation_export, tflite as translator
from zoo.data import translation, wordpiece
from zoo.models.translation import models, translate
from zoo.models.translation import train as mt_train

pytestmark = pytest.mark.tensorflow_only
KINDS = ("bahdanau", "luong", None)
TINY = dict(source_vocab_size=40, target_vocab_size=30, source_length=7, target_length=6,
            embedding=8, encoder_units=6, decoder_units=10, attention_units=5)


def _batch(rng, n=4):
    src = rng.integers(4, 40, (n, 7)).astype("int32")
    src[0, 3:] = 0
    src[1, 5:] = 0
    tgt = rng.integers(4, 30, (n, 6)).astype("int32")
    tgt[:, 0] = models.BOS
    return src, tgt


def _keras_greedy(model, src):
    return translator.decode_ids(translate.keras_backend(model), src, beam=1)


@pytest.mark.parametrize("attention", KINDS)
def test_one_step_decoder_replays_the_teacher_forced_logits(attention, rng):
    model = models.build_translator(attention, **TINY)
    src, tgt = _batch(rng)
    full = np.asarray(model([src, tgt], training=False))
    backend = translate.keras_backend(model)
    memory, mask, state = backend.encode(src)
    np.testing.assert_array_equal(mask, (src != 0).astype("float32"))
    states = translator.initial_states(state, backend.state_sizes)
    for t in range(tgt.shape[1]):
        out = backend.step({"token": tgt[:, t:t + 1], "memory": memory, "memory_mask": mask,
                            **states})
        np.testing.assert_allclose(out["logits"], full[:, t], atol=2e-5)
        if attention:  # a distribution over the real source tokens only
            np.testing.assert_allclose(out["alignment"].sum(-1), 1.0, rtol=1e-5)
            assert np.all(out["alignment"][0, 3:] == 0) and np.all(out["alignment"][1, 5:] == 0)
        states = {k: out[k] for k in backend.state_names}


def test_baseline_twin_has_the_attention_models_parameter_count():
    for family in models.FAMILIES.values():
        kwargs = {**family["build"], "source_vocab_size": 4000, "target_vocab_size": 4000,
                  "source_length": family["source_length"],
                  "target_length": family["target_length"]}
        att = models.build_translator("bahdanau", **kwargs).count_params()
        luong = models.build_translator("luong", **kwargs).count_params()
        base = models.build_translator(None, **kwargs).count_params()
        assert abs(base / att - 1) < 0.10 and abs(base / luong - 1) < 0.10, (att, luong, base)


def test_keras_file_round_trip_keeps_the_logits(tmp_path, rng):
    model = models.build_translator("luong", **TINY)
    src, tgt = _batch(rng)
    model.save(tmp_path / "mt.keras")
    loaded = keras.models.load_model(tmp_path / "mt.keras")
    np.testing.assert_allclose(np.asarray(loaded([src, tgt])), np.asarray(model([src, tgt])),
                               atol=1e-6)
    hyps = _keras_greedy(loaded, src)
    assert [h.tokens for h in hyps] == [h.tokens for h in _keras_greedy(model, src)]


def _peaky(model):
    """Sharpen the output layer of an untrained model so greedy choices are not ties."""
    layer = model.get_layer("logits")
    w, b = layer.get_weights()
    layer.set_weights([w * 40, b])
    return model


@pytest.mark.parametrize("attention", ["bahdanau", "luong", None])
def test_tflite_file_decodes_like_keras(attention, tmp_path, rng):
    # luong as a new run builds it: scores scaled by 1/sqrt(decoder units)
    model = _peaky(models.build_translator(attention, **TINY, luong_scaled=attention == "luong"))
    src, tgt = _batch(rng, 12)
    reference = _keras_greedy(model, src)
    path = tmp_path / "mt.float32.tflite"
    report = translation_export.to_tflite(model, path, "float32")
    assert "WHILE" not in report.op_histogram
    backend = translator.tflite_backend(path)
    assert seq2seq.STEP_SIGNATURE in backend.runtime.signatures
    hyps = translator.decode_ids(backend, src)
    assert translator.agreement(reference, hyps) == 1.0
    if attention:
        for a, b in zip(reference, hyps):
            np.testing.assert_allclose(a.alignments, b.alignments, atol=1e-4)
    beam = translator.decode_ids(backend, src[:3], beam=3)
    keras_beam = translator.decode_ids(translate.keras_backend(model), src[:3], beam=3)
    assert [h.tokens for h in beam] == [h.tokens for h in keras_beam]
    # full integer: a smaller file, integer kernels, ids within the vocabulary
    int8 = tmp_path / "mt.int8.tflite"
    report = translation_export.to_tflite(model, int8, "int8", representative_data=[src, tgt])
    assert report.size_bytes < path.stat().st_size and "WHILE" not in report.op_histogram
    out = translator.decode_ids(translator.tflite_backend(int8), src)
    assert all(0 < t < TINY["target_vocab_size"] and t != models.BOS
               for h in out for t in h.tokens)


def test_int16x8_translator_is_refused_with_the_modes_that_work(tmp_path, rng):
    from export.errors import ExportError

    model = models.build_translator("bahdanau", **TINY)
    src, tgt = _batch(rng, 8)
    path = tmp_path / "mt.int16x8.tflite"
    with pytest.raises(ExportError, match=r"integer \(token\) inputs.*'int8'"):
        translation_export.to_tflite(model, path, "int16x8", representative_data=[src, tgt])
    assert not path.exists()


def test_tflite_backend_refuses_a_plain_model_file(tmp_path):
    import export

    inputs = keras.Input((3,))
    plain = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    export.to_tflite(plain, tmp_path / "plain.tflite", validate=False)
    with pytest.raises(ValueError, match="not a translator file"):
        translator.tflite_backend(tmp_path / "plain.tflite")


def test_wordpiece_round_trip_and_unknown_free_compounds():
    texts = ["Der Aachener Dom ist alt.", "Die Tür ist offen.", "Der Dom und die Tür.",
             "Aachener Printen sind hart."] * 5
    vocab = wordpiece.build_vocab(texts, size=60, reserved=translation.SPECIALS)
    assert vocab[:4] == list(translation.SPECIALS)
    # an unseen compound comes out as known pieces, not [UNK]
    pieces = wordpiece.tokenize(["Die Aachener Domtür."], vocab)[0]
    assert "[UNK]" not in pieces and any(p.startswith("##") for p in pieces)
    assert wordpiece.join(pieces) == "die aachener domtür."
    ids_in, ids_out = translation.encode_target(["Die Aachener Domtür."], vocab, 30, "wordpiece")
    assert ids_in[0, 0] == models.BOS and translation.detokenize(
        ids_out[0], vocab, "wordpiece") == "die aachener domtür."


def test_trainer_on_user_pairs_writes_scores_and_a_matching_tflite_file(tmp_path):
    pairs = translation.numbers_pairs(n=400, seed=3, kind="numbers")
    tsv = tmp_path / "numbers.tsv"
    tsv.write_text("".join(f"{en}\t{de}\n" for en, de in pairs), encoding="utf-8")
    out = tmp_path / "run"
    code = mt_train.main(["--tsv", str(tsv), "--epochs", "1", "--modes", "float32",
                          "--out", str(out), "--beam", "2"], name="mt-numbers-en-de-seq2seq")
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    assert results["data"]["splits"]["train"] > 250
    assert results["metrics"]["float32"]["greedy_agreement_with_keras"] == 1.0
    details = json.loads((out / "training.json").read_text())
    buckets = details["scores"]["keras_greedy"]["by_length"]
    assert sum(b["n"] for b in buckets) == results["data"]["splits"]["test"]
    for name in ("source_vocab.txt", "target_vocab.txt", "calibration.npz",
                 "mt-numbers-en-de-seq2seq.float32.tflite", "SHA256SUMS"):
        assert (out / name).is_file()
    # the card's command repeats the run: epochs included, defaults left out
    assert results["reproduce"]["train"] == "zoo train mt-numbers-en-de-seq2seq --seed 0 --epochs 1"


def test_train_command_names_what_differs_from_the_defaults():
    args = mt_train.parse(["--epochs", "12", "--lr-schedule", "cosine", "--learning-rate", "0.003",
                           "--time-budget", "75", "--seed", "2"], "mt-en-de-bahdanau")
    assert mt_train.train_command(args) == ("zoo train mt-en-de-bahdanau --seed 2 --epochs 12 "
                                            "--learning-rate 0.003 --lr-schedule cosine "
                                            "--time-budget 75")


def test_new_luong_runs_record_scaled_scores_and_old_configs_build_as_trained(rng):
    assert models.build_defaults("mt-en-de-luong") == {"luong_scaled": True}
    assert models.build_defaults("mt-en-de-bahdanau") == {} == models.build_defaults("x")
    old = models.build_translator("luong", **TINY)  # a config without the key
    new = models.build_translator("luong", **TINY, luong_scaled=True)
    new.set_weights(old.get_weights())
    old_cell, new_cell = (m.get_layer("decoder").cell.attention for m in (old, new))
    assert (old_cell.scaled, new_cell.scaled) == (False, True)
    query = rng.normal(size=(2, TINY["decoder_units"])).astype("float32")
    keys = rng.normal(size=(2, 7, TINY["decoder_units"])).astype("float32")
    np.testing.assert_allclose(np.asarray(new_cell.score(query, keys)) * np.sqrt(10.0),
                               np.asarray(old_cell.score(query, keys)), rtol=1e-5)


def test_translate_api_errors_name_the_fix():
    import zoo

    with pytest.raises(ValueError, match="not a translation model; translation models: mt-"):
        zoo.translate("text-att-bigru", ["hello"])
    with pytest.raises(ValueError, match="needs at least one word"):
        translate.encode_for("mt-numbers-en-de-bahdanau", ["  "])
    with pytest.raises(ValueError, match="list of sentences"):
        translate.encode_for("mt-numbers-en-de-bahdanau", "three")
    with pytest.raises(ValueError, match="not a translation model"):
        models.family_of("text-att-bigru")


# ------------------------------------------------ cased en-de: factorised output, any length

FACTORISED = dict(TINY, output_embedding=4)


@pytest.mark.parametrize("attention", KINDS)
def test_factorised_output_step_replays_the_training_logits(attention, rng):
    model = models.build_translator(attention, **FACTORISED)
    assert model.get_layer("output_projection").units == 4
    src, tgt = _batch(rng)
    full = np.asarray(model([src, tgt], training=False))
    backend = translate.keras_backend(model)
    memory, mask, state = backend.encode(src)
    states = translator.initial_states(state, backend.state_sizes)
    for t in range(tgt.shape[1]):
        out = backend.step({"token": tgt[:, t:t + 1], "memory": memory, "memory_mask": mask,
                            **states})
        np.testing.assert_allclose(out["logits"], full[:, t], atol=2e-5)
        states = {k: out[k] for k in backend.state_names}


def test_twin_of_a_factorised_model_matches_its_parameter_count():
    kwargs = dict(source_vocab_size=8000, target_vocab_size=8000, source_length=None,
                  target_length=None, **models.FAMILIES["mt-en-de"]["build"])
    att = models.build_translator("bahdanau", **kwargs).count_params()
    base = models.build_translator(None, **kwargs).count_params()
    assert abs(base / att - 1) < 0.02, (att, base)


def test_any_length_model_computes_the_fixed_models_logits_on_the_real_tokens(rng):
    fixed = models.build_translator("bahdanau", **FACTORISED)
    free = models.build_translator("bahdanau", **{**FACTORISED, "source_length": None,
                                                  "target_length": None})
    free.set_weights(fixed.get_weights())
    src, tgt = _batch(rng)
    src[:, 5:] = 0  # the cut batch holds only padding beyond column 5
    want = np.asarray(fixed([src, tgt], training=False))
    got = np.asarray(free([src[:, :5], tgt[:, :4]], training=False))
    np.testing.assert_allclose(got, want[:, :4], atol=1e-5)


def test_length_batches_cover_every_pair_once_and_cut_only_padding(rng):
    n = 50
    lengths = rng.integers(1, 20, n)
    src = np.zeros((n, 24), "int32")
    tgt = np.zeros((n, 24), "int32")
    for i, k in enumerate(lengths):
        src[i, :k] = i + 4  # row i is recognisable by its token
        tgt[i, :k + 1] = i + 4
    seen = []
    for epoch in range(2):
        rows = []
        for (s, t_in), t_out in mt_train.length_batches((src, tgt, tgt), 8, seed=epoch):
            s, t_in, t_out = s.numpy(), t_in.numpy(), t_out.numpy()
            assert s.shape[1] % 4 == 0 and t_out.shape[1] % 4 == 0 and len(s) <= 8
            for r in range(len(s)):
                i = int(s[r, 0]) - 4
                np.testing.assert_array_equal(s[r], src[i, :s.shape[1]])
                np.testing.assert_array_equal(t_out[r], tgt[i, :t_out.shape[1]])
                assert np.count_nonzero(s[r]) == lengths[i]  # nothing real was cut
                assert np.count_nonzero(t_out[r]) == lengths[i] + 1
                rows.append(i)
        assert sorted(rows) == list(range(n))
        seen.append(rows)
    assert seen[0] != seen[1]  # a new order every epoch


def test_split_long_cuts_at_sentence_then_clause_boundaries_only():
    a = "One two three four five. Six seven eight nine ten. Eleven twelve."
    assert translate.split_long(a, 20) == [a]
    assert translate.split_long(a, 6) == ["One two three four five.",
                                          "Six seven eight nine ten.", "Eleven twelve."]
    assert translate.split_long(a, 10) == ["One two three four five. Six seven eight nine ten.",
                                           "Eleven twelve."]
    b = "one two three, four five six; seven eight"
    assert translate.split_long(b, 4) == ["one two three,", "four five six;", "seven eight"]
    with pytest.raises(ValueError, match="clause of 6 words.*at most 5"):
        translate.split_long("one two three four five six.", 5)
    for parts in (translate.split_long(a, 6), translate.split_long(b, 4)):
        assert " ".join(parts).split() == (a if parts[0].startswith("One") else b).split()


def test_joined_parts_keep_tokens_and_block_diagonal_alignments():
    one = translate.Translation("a b.", "x.", ["a", "b", "."], ["x", "."],
                                np.full((3, 3), 1 / 3, np.float32), -1.0)
    two = translate.Translation("c.", "y z.", ["c", "."], ["y", "z", "."],
                                np.full((4, 2), 0.5, np.float32), -2.0)
    joined = translate._joined("a b. c.", [one, two])
    assert joined.text == "x. y z." and joined.score == -3.0
    assert joined.source_tokens == ["a", "b", ".", "c", "."]
    assert joined.alignments.shape == (6, 5)  # 5 target tokens + the last part's EOS row
    np.testing.assert_allclose(joined.alignments.sum(-1), 1.0)
    assert np.all(joined.alignments[:2, 3:] == 0) and np.all(joined.alignments[2:, :3] == 0)


def test_settings_follow_the_models_config():
    family = models.settings("mt-en-de-luong", {"source_length": 24, "target_length": 28,
                                                "cased": False, "max_words": None,
                                                "decoder_units": 128})
    assert (family["source_length"], family["target_length"], family["cased"]) == (24, 28, False)
    assert family["build"]["decoder_units"] == 128 and family["max_words"] is None
    fresh = models.settings("mt-en-de-luong", {})
    assert fresh["cased"] is True and fresh["max_words"] == 40
