"""Translator architecture (Keras): the training model and its inference models,
behind `zoo.models.translation.models` (see its docstring for the architecture),
kept apart so that registering the models imports no Keras. Importing this module
registers `TokenMask` for `keras.models.load_model`."""

from __future__ import annotations

import weakref
from types import SimpleNamespace

import keras
from keras import ops

from zoo.layers import AttentionRNN, AttentionRNNCell, BahdanauAttention, LuongAttention

ATTENTIONS = ("bahdanau", "luong", None)


@keras.saving.register_keras_serializable(package="zoo")
class TokenMask(keras.layers.Layer):
    """`float32 (batch, S)`: 1 on real tokens, 0 on padding (id 0)."""

    def call(self, tokens):
        return ops.cast(ops.not_equal(tokens, 0), "float32")

    def compute_output_shape(self, shape):
        return tuple(shape)


class FirstStep(keras.layers.Layer):
    """`(batch, 1, d) -> (batch, d)`, dropping the padding mask of the one token."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, x, mask=None):
        return x[:, 0]

    def compute_mask(self, x, mask=None):
        return None


class AttentionStep(keras.layers.Layer):
    """One step of an `AttentionRNNCell` outside the RNN loop (inference, export).

    Call arguments: `x (batch, d_in)`, `state (batch, d)`, `attention_vector
    (batch, A)` (the previous step's, for input feeding), `memory (batch, S,
    dv)`, `memory_mask (batch, S)` float. Returns `(attention_vector,
    state, alignment (batch, S))` of this step. The keys are recomputed from
    the memory each step (one matrix product), which keeps the exported step
    a single loop-free signature.
    """

    def __init__(self, cell, **kwargs):
        super().__init__(**kwargs)
        self.cell = cell

    def call(self, x, state, attention_vector, memory, memory_mask):
        states = self.cell.get_initial_state_from_memory(
            memory, mask=ops.cast(memory_mask, "bool"), cell_states=[state, attention_vector, None])
        output, new_states = self.cell(x, states, training=False)
        vector, alignment = self.cell.split_alignments(output)
        return vector, new_states[1], alignment


class CellStep(keras.layers.Layer):
    """One step of a plain RNN cell: `(x, state) -> new state`."""

    def __init__(self, cell, **kwargs):
        super().__init__(**kwargs)
        self.cell = cell

    def call(self, x, state):
        _, new_states = self.cell(x, [state], training=False)
        return new_states[0] if isinstance(new_states, (list, tuple)) else new_states


def build_translator(attention="bahdanau", source_vocab_size=4000, target_vocab_size=4000,
                     source_length=24, target_length=26, embedding=96, encoder_units=128,
                     decoder_units=160, attention_units=128, baseline_decoder_units=None,
                     output_embedding=None, dropout=0.2, seed=None, name=None,
                     luong_scaled=False):
    """The teacher-forced training model (see the module docstring).

    `output_embedding`: a width `k` factorises the output layer into
    `Dense(k, name="output_projection")` then `Dense(V, name="logits")`
    (`d*k + k*V` weights instead of `d*V`: an 8,000-piece vocabulary fits a
    small file). `source_length` / `target_length` `None` build a model of any
    length (the trainer's length-bucketed batches; the weights are the same).
    `luong_scaled`: the Luong score divided by `sqrt(decoder_units)`
    (`LuongAttention(scaled=True)`; models trained before it keep `False`)."""
    if attention not in ATTENTIONS:
        raise ValueError(f"attention must be one of {ATTENTIONS}; got {attention!r}")
    for key, value in (("source_vocab_size", source_vocab_size),
                       ("target_vocab_size", target_vocab_size),
                       ("source_length", source_length), ("target_length", target_length)):
        if value is None and "length" in key:
            continue
        if int(value) < (5 if "vocab" in key else 1):
            raise ValueError(f"{key} must be {'at least 5 (4 special tokens + 1)' if 'vocab' in key else 'positive'}; got {value}")
    source = keras.Input((source_length,), dtype="int32", name="source")
    target_in = keras.Input((target_length,), dtype="int32", name="target_in")
    x = keras.layers.Embedding(source_vocab_size, embedding, mask_zero=True,
                               name="source_embedding")(source)
    x = keras.layers.Dropout(dropout, seed=seed, name="source_dropout")(x)
    memory, h_fw, h_bw = keras.layers.Bidirectional(
        keras.layers.GRU(encoder_units, return_sequences=True, return_state=True),
        name="encoder")(x)
    units = decoder_units if attention else (baseline_decoder_units or baseline_units(
        decoder_units, encoder_units, attention_units, embedding, target_vocab_size,
        output_embedding))
    state = keras.layers.Dense(units, activation="tanh", name="bridge")(
        keras.layers.Concatenate(name="final_states")([h_fw, h_bw]))
    y = keras.layers.Embedding(target_vocab_size, embedding, mask_zero=True,
                               name="target_embedding")(target_in)
    y = keras.layers.Dropout(dropout, seed=seed, name="target_dropout")(y)
    if attention:
        mechanism = (BahdanauAttention(units=attention_units, name="bahdanau")
                     if attention == "bahdanau" else LuongAttention(score="general", scaled=luong_scaled,
                                                       name="luong"))
        cell = AttentionRNNCell(keras.layers.GRUCell(units, name="decoder_gru"), mechanism,
                                attention_layer_size=units, input_feeding=True,
                                output_alignments=True, name="attention_cell")
        vectors, _ = AttentionRNN(cell, name="decoder")(y, memory, initial_state=[state])
    else:
        h = keras.layers.GRU(units, return_sequences=True, name="decoder")(y, initial_state=state)
        vectors = keras.layers.Dense(units, activation="tanh", use_bias=False,
                                     name="projection")(h)
    vectors = keras.layers.Dropout(dropout, seed=seed, name="output_dropout")(vectors)
    if output_embedding:
        vectors = keras.layers.Dense(int(output_embedding), name="output_projection")(vectors)
    logits = keras.layers.Dense(target_vocab_size, name="logits")(vectors)
    default = {"bahdanau": "translator_bahdanau", "luong": "translator_luong", None: "translator_seq2seq"}
    model = keras.Model([source, target_in], logits, name=name or default[attention])
    model.translation_config = dict(attention=attention, source_length=source_length,
                                    target_length=target_length,
                                    output_embedding=output_embedding)
    return model


def baseline_units(decoder_units, encoder_units, attention_units, embedding,
                   target_vocab_size, output_embedding=None):
    """Decoder width of the no-attention twin whose parameter count matches the
    Bahdanau model of `decoder_units`: the parts that differ are the decoder GRU
    (input feeding widens its input), the attention, the attention layer, the
    bridge and the output layer (`(d + 1) * V`, which grows with the width; `(d + 1) * k`
    when `output_embedding` k factorises it, the `(k + 1) * V` part being common)."""
    d, e2, emb, v = decoder_units, 2 * encoder_units, embedding, target_vocab_size
    if output_embedding:
        v = int(output_embedding)

    def gru(inp, n):
        return 3 * n * (inp + n) + 6 * n

    def baseline(n):
        return gru(emb, n) + (e2 + 1) * n + n * n + (n + 1) * v

    target = (gru(emb + d, d) + (e2 + 1) * d + d * (d + e2)
              + (d * attention_units + e2 * attention_units + attention_units) + (d + 1) * v)
    return min(range(8, 4 * d), key=lambda n: abs(baseline(n) - target))


_INFERENCE = weakref.WeakKeyDictionary()


def inference_models(model):
    """`SimpleNamespace(encoder, step, attention, state_names, state_sizes)` sharing
    `model`'s layers.

    `step` inputs: `token (batch, 1)` int32, `state (batch, d)`, with attention
    also `attention_vector (batch, d)`, and `memory`, `memory_mask`;
    outputs: `logits`, `state`, (`attention_vector`), `alignment`
    (with attention). `state_names` lists the recurrent inputs that the loop
    feeds back (outputs of the same name), `state_sizes` their widths
    (`export.seq2seq.initial_states` makes their first values)."""
    cached = _INFERENCE.get(model)
    if cached is not None:
        return cached
    attention = _attention_of(model)
    source = keras.Input(model.inputs[0].shape[1:], dtype="int32", name="source")
    x = model.get_layer("source_embedding")(source)
    memory, h_fw, h_bw = model.get_layer("encoder")(x)
    state0 = model.get_layer("bridge")(model.get_layer("final_states")([h_fw, h_bw]))
    mask = TokenMask(name="memory_mask")(source)
    encoder = keras.Model(source, [memory, mask, state0], name=f"{model.name}_encoder")

    units = state0.shape[-1]
    token = keras.Input((1,), dtype="int32", name="token")
    state = keras.Input((units,), name="state")
    mem_in = keras.Input(memory.shape[1:], name="memory")
    mask_in = keras.Input(mask.shape[1:], name="memory_mask")
    y = model.get_layer("target_embedding")(token)
    y = FirstStep(name="first_step")(y)
    if attention:
        cell = model.get_layer("decoder").cell
        vec_in = keras.Input((cell.attention_size,), name="attention_vector")
        vector, new_state, alignment = AttentionStep(cell, name="attention_step")(
            y, state, vec_in, mem_in, mask_in)
        inputs = {"token": token, "state": state, "attention_vector": vec_in,
                  "memory": mem_in, "memory_mask": mask_in}
        outputs = {"state": new_state, "attention_vector": vector, "alignment": alignment}
        state_names = ["state", "attention_vector"]
    else:
        new_state = CellStep(model.get_layer("decoder").cell, name="gru_step")(y, state)
        vector = model.get_layer("projection")(new_state)
        # The baseline step ignores the memory; it is an input anyway, so both
        # kinds of model share one host loop and one file layout.
        inputs = {"token": token, "state": state, "memory": mem_in, "memory_mask": mask_in}
        outputs = {"state": new_state}
        state_names = ["state"]
    if any(layer.name == "output_projection" for layer in model.layers):
        vector = model.get_layer("output_projection")(vector)
    outputs["logits"] = model.get_layer("logits")(vector)
    step = keras.Model(inputs, outputs, name=f"{model.name}_step")
    sizes = {n: int(step.get_layer(n).batch_shape[-1]) for n in state_names}
    result = SimpleNamespace(encoder=encoder, step=step, attention=attention,
                             state_names=state_names, state_sizes=sizes)
    _INFERENCE[model] = result
    return result


def _attention_of(model):
    try:
        decoder = model.get_layer("decoder")
    except ValueError:
        raise ValueError(f"{model.name!r} is not a translator of zoo.models.translation "
                         "(no layer named 'decoder')") from None
    if isinstance(decoder, AttentionRNN):
        return "bahdanau" if isinstance(decoder.cell.attention, BahdanauAttention) else "luong"
    return None
