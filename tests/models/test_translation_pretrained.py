"""The shipped translators: out of the box, against independent references
(num2words for the numbers task), TFLite vs Keras, CLI predict/plot/export."""

import subprocess
import sys

import numpy as np
import pytest

import zoo
from zoo.models.translation import tflite as translator
from zoo import registry
from zoo.data import translation
from zoo.models.translation import translate

pytestmark = pytest.mark.tensorflow_only
NUMBERS, EN_DE = "mt-numbers-en-de-bahdanau", "mt-en-de-bahdanau"


def shipped(*names):
    return pytest.mark.skipif(any(registry.find_artifacts(n) is None for n in names),
                              reason=f"{', '.join(names)} not shipped in zoo/pretrained")


@pytest.fixture(scope="module")
def numbers_model():
    return zoo.load(NUMBERS, compile=False)


@shipped(NUMBERS)
def test_numbers_model_writes_held_out_numbers_and_dates_like_num2words_and_cldr(numbers_model):
    import datetime

    from babel.dates import format_date
    from num2words import num2words

    # held-out items (> 1,000: the split is by item, so none of these was trained on in
    # any form unless the split put it there; the references are independent libraries)
    values = [4056, 17017, 805330, 1200, 2_000_000, 40_000]
    got = zoo.translate(NUMBERS, [num2words(k) for k in values], model=numbers_model)
    want = [num2words(k, lang="de") for k in values]  # cased, "ß" kept
    assert np.mean([g == w for g, w in zip(got, want)]) >= 0.6, list(zip(got, want))
    day = datetime.date(2001, 3, 14)
    got = zoo.translate(NUMBERS, [format_date(day, w, locale="en") for w in
                                  ("short", "medium", "long", "full")], model=numbers_model)
    want = [format_date(day, w, locale="de") for w in ("short", "medium", "long", "full")]
    assert np.mean([g == w for g, w in zip(got, want)]) >= 0.5, list(zip(got, want))
    # and on the fixed test split, which training never saw, every form
    pairs = translation.load("numbers", "test")[::40]
    got = zoo.translate(NUMBERS, [en for en, _ in pairs], model=numbers_model)
    assert np.mean([g == de for g, (_, de) in zip(got, pairs)]) >= 0.85


@shipped(NUMBERS)
def test_numbers_model_refuses_words_it_cannot_read(numbers_model):
    for text, word in (("forty-two apples", "apples"), ("one zillion", "zillion"),
                       ("3 kg", "kg")):
        with pytest.raises(ValueError, match=f"cannot read '{word}'"):
            zoo.translate(NUMBERS, [text], model=numbers_model)


@shipped(NUMBERS)
def test_a_batch_with_unreadable_sentences_translates_the_rest(numbers_model):
    batch = ["forty-two", "forty-two apples", "  ", "March 3, 2001", "one zillion"]
    with pytest.raises(ValueError, match=r"^sentence 1 \('forty-two apples'\).*cannot read 'apples'"):
        zoo.translate(NUMBERS, batch, model=numbers_model)  # the first refusal, nothing decoded
    got = zoo.translate(NUMBERS, batch, model=numbers_model, return_errors=True)
    # the readable ones as a batch of their own gives them
    assert [got[0], got[3]] == zoo.translate(NUMBERS, [batch[0], batch[3]], model=numbers_model)
    assert [type(g) for g in got] == [str, ValueError, ValueError, str, ValueError]
    assert "cannot read 'apples'" in str(got[1]) and str(got[2]).startswith("sentence 2 is empty")
    assert str(got[4]).startswith("sentence 4 ('one zillion')") and "'zillion'" in str(got[4])
    # all refused: nothing to decode, no model needed
    assert [str(e) for e in translate.translate(NUMBERS, ["apples"], return_errors=True)] == [
        str(translate.refusals(NUMBERS, ["apples"])[0][0])]
    # the CLI prints what it translated, names each refusal on stderr and exits 1
    proc = subprocess.run([sys.executable, "-m", "zoo.cli", "predict", NUMBERS, "forty-two",
                           "forty-two apples", "March 3, 2001"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines() == [f"forty-two\t{got[0]}", f"March 3, 2001\t{got[3]}"]
    assert "sentence 1 ('forty-two apples')" in proc.stderr and "cannot read 'apples'" in proc.stderr


@shipped(NUMBERS)
def test_int8_file_decodes_like_the_keras_model(numbers_model):
    pairs = translation.load("numbers", "test")[:40]
    src = translate.encode_for(NUMBERS, [en for en, _ in pairs])
    keras_hyps = translator.decode_ids(translate.keras_backend(numbers_model), src)
    path = registry.require_artifacts(NUMBERS).file(f"{NUMBERS}.int8.tflite")
    int8_hyps = translator.decode_ids(translator.tflite_backend(path), src)
    assert translator.agreement(keras_hyps, int8_hyps) >= 0.9
    assert zoo.translate(NUMBERS, ["three hundred and twenty-one"], tflite="int8") == [
        "dreihunderteinundzwanzig"]


@shipped(EN_DE, "mt-en-de-seq2seq")
def test_en_de_translates_out_of_the_box_with_alignments():
    out = zoo.translate(EN_DE, ["I have no idea.", "the depletion of the ozone layer"])
    assert len(out) == 2 and all(isinstance(t, str) and t for t in out)
    e = zoo.explain(EN_DE, "the depletion of the ozone layer")
    weights = e["weights"]
    assert weights.shape == (len(e["target_steps"]), len(e["steps"]))
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-4)
    assert zoo.predict(EN_DE, "I have no idea.") == out[0]
    with pytest.raises(ValueError, match="split it"):
        zoo.translate(EN_DE, ["word " * 41])  # over the 40-word limit, no boundary to cut at
    got = zoo.translate(EN_DE, ["word " * 41, "I have no idea."], return_errors=True)
    assert isinstance(got[0], ValueError) and "a clause of 41 words" in str(got[0])
    assert got[1] == out[0]
    # a long text with sentence boundaries is translated part by part, not refused
    long = " ".join(["I have no idea."] * 12)  # 48 words
    joined, single = translate.translate_with_alignments(EN_DE, [long, "I have no idea."])
    assert joined.source == long and joined.text
    assert joined.source_tokens == single.source_tokens * 12
    assert joined.alignments.shape == (len(joined.target_tokens) + 1, len(joined.source_tokens))
    with pytest.raises(ValueError, match="no attention"):
        zoo.explain("mt-en-de-seq2seq", "I have no idea.")


def _repeats(pieces, n):
    grams = [tuple(pieces[i:i + n]) for i in range(len(pieces) - n + 1)]
    return len(grams) != len(set(grams))


@shipped(EN_DE)
def test_en_de_default_decoding_repeats_no_3_gram():
    """`zoo.translate`'s default for mt-en-de blocks a second 3-gram of target pieces;
    `no_repeat_ngram=0` lets the model loop (plain beam search: the decoding tests)."""
    from zoo import api

    # a sentence the shipped model loops on without blocking ("Schne Schne Schne ...")
    sentences = ["Because the road to the village was blocked by snow, we had to stay "
                 "another night at the hotel.", "I have no idea."]
    model = api.load(EN_DE, compile=False)
    default = translate.translate_with_alignments(EN_DE, sentences, model=model)
    plain = translate.translate_with_alignments(EN_DE, sentences, model=model,
                                                no_repeat_ngram=0)
    assert not any(_repeats(t.target_tokens, 3) for t in default)
    assert _repeats(plain[0].target_tokens, 3)
    assert plain[1].text == default[1].text  # nothing to block: the same translation
    with pytest.raises(ValueError, match="no_repeat_ngram=1 would forbid"):
        zoo.translate(EN_DE, ["I have no idea."], no_repeat_ngram=1)


@shipped(NUMBERS, "mt-numbers-en-de-seq2seq")
def test_cli_predict_plots_the_alignment_and_export_makes_a_translator(tmp_path):
    png = tmp_path / "align.png"
    proc = subprocess.run([sys.executable, "-m", "zoo.cli", "predict", NUMBERS,
                           "three hundred and twenty-one", "--plot", str(png)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "three hundred and twenty-one\tdreihunderteinundzwanzig" in proc.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = tmp_path / "numbers.int8.tflite"
    proc = subprocess.run([sys.executable, "-m", "zoo.cli", "export", "mt-numbers-en-de-seq2seq",
                           "-q", "int8", "-o", str(out)], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert translator.is_translator(out.read_bytes())
    from export import metadata  # the family's own exporter writes the standard metadata too

    md = metadata.read(out.read_bytes())
    assert md["name"] == "mt-numbers-en-de-seq2seq" and "decode_step" in md["description"]
