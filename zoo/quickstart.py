"""Quick start: an attention encoder-decoder that learns to reverse digits.

Run with `make demo` (or `python -m zoo.quickstart`). In well under a minute
on a laptop CPU it

1. builds an encoder (Embedding + bidirectional GRU) and a decoder
   (`AttentionRNN` over an `AttentionRNNCell` with a GRU cell and Bahdanau
   attention, Luong-style attention layer and input feeding);
2. trains it on a toy task: reverse a sequence of 3 to 6 digits;
3. decodes a held-out example greedily and prints its attention weights as a
   table (rows: output tokens, columns: input tokens) - reversal shows up as
   an anti-diagonal;
4. saves the heat map (`zoo.plot.attention`) to `--plot`
   (default `out/attention.png`).

Options: `--epochs`, `--samples`, `--seed`, `--plot`; see `--help`.
"""

from __future__ import annotations

import argparse
import os
import time

if __name__ == "__main__":  # before Keras loads: hide TensorFlow's native log lines as `zoo` does
    from zoo import quiet

    _restore_stderr = quiet.filter_stderr()

import keras  # noqa: E402
import numpy as np  # noqa: E402

from zoo import plot  # noqa: E402
from zoo.layers import AttentionRNN, AttentionRNNCell, BahdanauAttention  # noqa: E402

PAD, GO, EOS = 0, 1, 2
FIRST_DIGIT = 3
VOCAB = FIRST_DIGIT + 10
MIN_LEN, MAX_LEN = 3, 6


def token_name(token):
    token = int(token)
    return {PAD: "<pad>", GO: "<go>", EOS: "</s>"}.get(token, str(token - FIRST_DIGIT))


def make_data(n, rng):
    """Source digits (n, MAX_LEN) zero-padded, decoder inputs `<go> reversed`
    and targets `reversed </s>` (n, MAX_LEN + 1)."""
    source = np.zeros((n, MAX_LEN), "int32")
    decoder_in = np.zeros((n, MAX_LEN + 1), "int32")
    target = np.zeros((n, MAX_LEN + 1), "int32")
    for i, length in enumerate(rng.integers(MIN_LEN, MAX_LEN + 1, size=n)):
        digits = rng.integers(0, 10, size=length) + FIRST_DIGIT
        source[i, :length] = digits
        decoder_in[i, 0] = GO
        decoder_in[i, 1:length + 1] = digits[::-1]
        target[i, :length] = digits[::-1]
        target[i, length] = EOS
    return source, decoder_in, target


def build_models(units=32, embed=16):
    """Returns `(training model -> probabilities, model -> [probabilities,
    alignment history])`, sharing their layers."""
    source = keras.Input(shape=(None,), dtype="int32", name="source")
    decoder_in = keras.Input(shape=(None,), dtype="int32", name="decoder_in")
    embedded = keras.layers.Embedding(VOCAB, embed, mask_zero=True)(source)
    memory, forward, backward = keras.layers.Bidirectional(
        keras.layers.GRU(units, return_sequences=True, return_state=True))(embedded)
    state = keras.layers.Concatenate()([forward, backward])
    cell = AttentionRNNCell(keras.layers.GRUCell(2 * units), BahdanauAttention(units),
                            attention_layer_size=2 * units, output_alignments=True)
    decoded = keras.layers.Embedding(VOCAB, embed, mask_zero=True)(decoder_in)
    outputs, alignments = AttentionRNN(cell, name="decoder")(decoded, memory,
                                                             initial_state=[state])
    probs = keras.layers.Dense(VOCAB, activation="softmax", name="next_token")(outputs)
    return (keras.Model([source, decoder_in], probs, name="reverser"),
            keras.Model([source, decoder_in], [probs, alignments], name="reverser_attention"))


def greedy_decode(model, source):
    """Greedy decoding of a batch: feed the model's own predictions back, one
    step at a time. Returns the decoder inputs (with `<go>`) and the
    alignment history of the last pass."""
    n = len(source)
    decoder_in = np.zeros((n, MAX_LEN + 1), "int32")
    decoder_in[:, 0] = GO
    alignments = None
    for t in range(MAX_LEN + 1):
        probs, alignments = model([source, decoder_in], training=False)
        tokens = np.argmax(np.asarray(probs)[:, t], axis=-1)
        if t + 1 <= MAX_LEN:
            decoder_in[:, t + 1] = tokens
        else:
            last = tokens
    predicted = np.concatenate([decoder_in[:, 1:], last[:, None]], axis=1)
    return predicted, np.asarray(alignments)


def until_eos(tokens):
    tokens = list(int(t) for t in tokens)
    return tokens[: tokens.index(EOS) + 1] if EOS in tokens else tokens


def weights_table(weights, inputs, outputs):
    """Attention weights as text: rows = output tokens, cols = input tokens."""
    width = max(5, *(len(s) for s in inputs))
    head = max(5, *(len(s) for s in outputs))
    lines = [" " * head + " " + " ".join(s.rjust(width) for s in inputs)]
    for name, row in zip(outputs, weights):
        lines.append(name.rjust(head) + " " + " ".join(f"{w:.2f}".rjust(width) for w in row))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m zoo.quickstart", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--samples", type=int, default=4000, help="training sequences")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default=os.path.join("out", "attention.png"),
                        help="where to save the heat map (PNG)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    source, decoder_in, target = make_data(args.samples, rng)
    test_source, _, test_target = make_data(200, rng)
    model, attention_model = build_models()
    model.compile(optimizer=keras.optimizers.Adam(1e-2, clipnorm=1.0),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    print(f"Training an attention encoder-decoder to reverse {MIN_LEN}-{MAX_LEN} digits "
          f"({args.samples} sequences, {args.epochs} epochs, backend "
          f"{keras.backend.backend()}).")
    model.fit([source, decoder_in], target, batch_size=64, epochs=args.epochs, verbose=1)

    predicted, alignments = greedy_decode(attention_model, test_source)
    correct = [until_eos(p) == until_eos(t) for p, t in zip(predicted, test_target)]
    print(f"Greedy decoding, held-out sequences reversed exactly: "
          f"{np.mean(correct):.0%} of {len(correct)}")

    example = int(np.argmax([np.count_nonzero(s) for s in test_source]))  # a longest one
    length = np.count_nonzero(test_source[example])
    inputs = [token_name(t) for t in test_source[example, :length]]
    output_tokens = until_eos(predicted[example])
    outputs = [token_name(t) for t in output_tokens]
    weights = alignments[example, :len(outputs), :length]
    print(f"\nInput:  {' '.join(inputs)}\nOutput: {' '.join(outputs)}")
    print("Attention weights (rows: output tokens, columns: input tokens):")
    print(weights_table(weights, inputs, outputs))

    path = os.path.abspath(args.plot)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    figure = plot.attention(weights, x_labels=inputs, y_labels=outputs,
                            title="Attention while reversing digits")
    figure.savefig(path, dpi=120, bbox_inches="tight")
    print(f"\nHeat map saved to {path}")
    print(f"Done in {time.perf_counter() - start:.1f} s.")
    return {"accuracy": float(np.mean(correct)), "inputs": inputs, "outputs": outputs,
            "weights": weights, "plot": path}


if __name__ == "__main__":
    try:
        main()
    finally:
        _restore_stderr()
