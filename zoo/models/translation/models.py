"""Encoder-decoder translators: Bahdanau and Luong attention, and the same
encoder-decoder without attention.

Every translator is three Keras models over one set of layers:

* the **training model** (`build_translator`, what the registry builds and
  `model.weights.h5` holds): `[source (batch, S), target_in (batch, T)] ->
  logits (batch, T, V)`, teacher forcing (`target_in` = `[BOS] + target`);
* the **encoder** (`inference_models(model).encoder`): `source -> [memory
  (batch, S, 2e), memory_mask (batch, S), state (batch, d)]`;
* the **one-step decoder** (`inference_models(model).step`): the previous
  token `(batch, 1)`, the decoder state(s) and the encoder outputs ->
  `logits (batch, V)`, the new state(s) and the attention weights
  `(batch, S)` of this step. A host loop (`zoo.models.translation.decoding`:
  greedy or beam search) runs it; the TFLite file holds both
  (`export.seq2seq`).

Architecture (`attention=`):

* `"bahdanau"`: additive score `v^T tanh(W_q h_t + W_k m_s)` (Bahdanau et al.
  2014), `"luong"`: general score `h_t^T W m_s` (Luong et al. 2015); both in
  `zoo.layers.AttentionRNNCell` around a `GRUCell`, with input feeding and
  the attention layer `a_t = tanh(W_c [h_t; c_t])` (Luong eq. 5, as
  `tfa.seq2seq.AttentionWrapper` did), logits `W_o a_t`.
* `None` (the `*-seq2seq` baselines, Sutskever/Cho style): the decoder GRU
  starts from the encoder's final state and sees nothing else of the
  source; `a_t = tanh(W_p h_t)`, logits `W_o a_t`. Its decoder is wider so
  the parameter count matches the attention model's within a few percent.

The encoder is `Embedding(mask_zero) -> Bidirectional(GRU)`; the decoder's
initial state is `tanh(W_b [h_fw; h_bw])` of its final states.
Token ids: 0 = padding (masked), 1 = unknown, 2 = BOS, 3 = EOS
(`zoo.data.translation.SPECIALS`).
"""

from __future__ import annotations

import re

from zoo.lazy import forward
from zoo.models.translation.family import FAMILY
from zoo.registry import register_model

BOS, EOS = 2, 3

#: The layers and builders live in `architecture` (Keras), imported when first used.
__getattr__ = forward(__name__, "zoo.models.translation.architecture", (
    "ATTENTIONS", "TokenMask", "FirstStep", "AttentionStep", "CellStep", "build_translator",
    "baseline_units", "inference_models"))


# ------------------------------------------------------------------ registry

SOURCE_VOCAB_FILE = "source_vocab.txt"
TARGET_VOCAB_FILE = "target_vocab.txt"
#: Data, tokens and sizes of each model family (`family_of(name)`).
FAMILIES = {
    "mt-en-de": dict(
        corpus="en-de", source_level="wordpiece", target_level="wordpiece", cased=True,
        vocab_size=8000, min_count=2, vocab_texts=None, max_words=40,
        source_length=96, target_length=112, edges=(4, 6, 8, 10, 12, 16, 24),
        bucketed=True,
        metric="chrf",  # the headline test metric (tables, cards)
        # `zoo.translate`'s default: no 3-gram of target pieces twice (chosen on the
        # validation split: documentation chrF +0.7, general +0.0, loops 26 -> 0 of 500;
        # the trainer and benchmarks.translation score plain beam search)
        no_repeat_ngram=3,
        build=dict(embedding=64, encoder_units=160, decoder_units=192, attention_units=128,
                   output_embedding=64),
        description=("English -> German sentences; WordPiece vocabularies shipped with each "
                     "model (the corpus, case handling and word limit each model was trained "
                     "with: its card's data section and config.json)"),
        reproduce_data=("apt-get install trans-de-en dict-freedict-eng-deu dict-freedict-deu-eng "
                        "debian-reference libreoffice-help-en-us libreoffice-help-de "
                        "libreoffice-l10n-de; python -m zoo.data.translation build --out DIR"),
        limitations=[
            "Trained on about 97,000 pairs of dictionary examples (general language, mostly "
            "phrases), software documentation and UI strings: everyday conversation and news "
            "are outside most of it; expect rough translations of long sentences.",
            "Reads at most 40 words per sentence (longer sentences are split at sentence "
            "boundaries or refused, never cut).",
        ]),
    "mt-numbers-en-de": dict(
        corpus="numbers", source_level="word", target_level="wordpiece", vocab_size=1000,
        cased=True, source_cased=False, split_digits=True, refuse_unknown=True,
        source_length=32, target_length=48, edges=(1, 4, 7, 10, 13, 21), bucketed=True,
        metric="exact_match",  # one right answer per source: BLEU of short outputs says little
        build=dict(embedding=32, encoder_units=96, decoder_units=128, attention_units=64),
        description=("English numbers, years, ordinals and dates as people write them (words, "
                     "word variants, digits, CLDR date formats) -> German in the matching form, "
                     "cased (synthetic, num2words + Babel; zoo.data.numbers); English words with "
                     "digits read one at a time, German WordPiece subwords out"),
        reproduce_data="generated by zoo.data.numbers.pairs (pip install num2words babel)",
        limitations=[
            "Synthetic data: num2words spellings and their common variants (no hyphen, no "
            "'and', 'a hundred'), digits up to 10 digits with ',' grouping, ordinals 1st-999th, "
            "dates 1900-2099 in CLDR short/medium/long/full and spelled out; any word outside "
            "the vocabulary is refused with an error naming it.",
        ]),
}


#: Keys of a translator's `config.json` that describe its tokens, not builder arguments.
TOKEN_KEYS = ("cased", "source_cased", "split_digits", "refuse_unknown", "max_words")
#: Keys of `config.json` that override the family's (a model trained before the
#: family changed keeps its own lengths, sizes and tokens).
CONFIG_KEYS = ("source_length", "target_length") + TOKEN_KEYS


def settings(name, config=None):
    """The family entry of model `name` updated with its `config.json` (`config`, or the
    shipped one when there is one): lengths, `cased`, `max_words`, builder sizes."""
    family = dict(family_of(name))  # {}: a new training run's settings
    if config is None:
        from zoo import registry

        artifacts = registry.find_artifacts(name)
        config = artifacts.config() if artifacts is not None else {}
    family.update({k: config[k] for k in CONFIG_KEYS if k in config})
    family["build"] = {**family["build"], **{k: v for k, v in config.items()
                                             if k in family["build"]}}
    for key, default in (("cased", False), ("split_digits", False), ("refuse_unknown", False),
                         ("max_words", None), ("no_repeat_ngram", 0)):
        family.setdefault(key, default)
    family.setdefault("source_cased", family["cased"])
    return family


def over_word_limit(family, text):
    """Whether `text` has more white-space words than the model reads (`max_words`)."""
    return bool(family.get("max_words")) and len(text.split()) > family["max_words"]


def source_texts(family, texts):
    """The English texts as the source tokenizer reads them: digit runs split into single
    digits when the family says so ("1,250" -> "1,2 5 0": ten digit tokens, not a
    vocabulary of every number)."""
    if not family.get("split_digits"):
        return list(texts)
    return [_DIGITS.sub(" ", t) for t in texts]


_DIGITS = re.compile(r"(?<=\d)(?=\d)")


def family_of(name):
    """The `FAMILIES` entry of a model name (`mt-en-de-*`, `mt-numbers-en-de-*`)."""
    for prefix in sorted(FAMILIES, key=len, reverse=True):
        if name.startswith(prefix + "-"):
            return FAMILIES[prefix]
    raise ValueError(f"{name!r} is not a translation model of zoo.models.translation "
                     f"(families: {', '.join(FAMILIES)})")


#: The attention ("bahdanau", "luong" or None) of each registered translator.
ATTENTION = {}


def build_defaults(name):
    """Builder arguments a new run of model `name` records in its config (a shipped
    config without them builds what it was trained as)."""
    return {"luong_scaled": True} if ATTENTION.get(name) == "luong" else {}


def _register(name, attention, what, baseline=None):
    family = family_of(name)
    ATTENTION[name] = attention
    # Token ids of any length: each model's limits are its config's (`settings`), and a
    # model trained before the family changed keeps its own.
    spec = [{"shape": (None,), "dtype": "int32", "name": "source"},
            {"shape": (None,), "dtype": "int32", "name": "target_in"}]

    def builder(**config):
        config = {k: v for k, v in config.items() if k not in TOKEN_KEYS}
        kwargs = {**family["build"], "source_length": family["source_length"],
                  "target_length": family["target_length"], **config}
        from zoo.models.translation.architecture import build_translator

        return build_translator(attention, **kwargs)

    builder.__name__ = builder.__qualname__ = name.replace("-", "_")
    register_model(name, family=FAMILY, input_spec=spec, baseline=baseline,
                   metric=family["metric"], description=f"{what}. {family['description']}",
                   exports=("float32", "float16", "dynamic", "int8"))(builder)


_BAHDANAU = ("BiGRU encoder, GRU decoder with additive (Bahdanau) attention, input feeding "
             "and attention layer (AttentionRNNCell)")
_LUONG = ("BiGRU encoder, GRU decoder with multiplicative (Luong 'general', energies scaled by "
          "1/sqrt(units)) attention, input "
          "feeding and attention layer (AttentionRNNCell)")
_SEQ2SEQ = ("BiGRU encoder, GRU decoder from the encoder's final state, no attention "
            "(baseline; comparable parameter count)")
for _name, _attention, _what, _baseline in (
        ("mt-en-de-bahdanau", "bahdanau", _BAHDANAU, "mt-en-de-seq2seq"),
        ("mt-en-de-luong", "luong", _LUONG, "mt-en-de-seq2seq"),
        ("mt-en-de-seq2seq", None, _SEQ2SEQ, None),
        ("mt-numbers-en-de-bahdanau", "bahdanau", _BAHDANAU, "mt-numbers-en-de-seq2seq"),
        ("mt-numbers-en-de-seq2seq", None, _SEQ2SEQ, None)):
    _register(_name, _attention, _what, _baseline)
