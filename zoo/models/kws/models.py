"""Keyword-spotting models: attention RNNs and their no-attention twins.

Input contract of every model: float32 PCM in [-1, 1], `(batch, 16000)`
(1 s at 16 kHz); output: the 12 class probabilities in the order of
`zoo.data.speech_commands.LABELS` (`zoo.labels(name)`).

Shared front end: `LogMelSpectrogram` (98 frames x 40 mel bins, 30 ms
windows every 10 ms) -> BatchNormalization -> SpecAugment (training only)
-> Conv1D(64, 5, stride 2) -> 49 steps, then:

* `kws-att-bilstm`: bidirectional LSTM -> `AttentionPooling` with the query
  from the middle step (de Andrade et al., "A neural attention model for
  speech command recognition", 2018) -> Dense -> softmax.
* `kws-bilstm`: the same without attention: the two directions' last states,
  through a Dense layer of the attention projection's size so the parameter
  counts match (within 10 %).
* `kws-att-mh-gru`: bidirectional GRU -> multi-head attention whose query is
  a projection of the middle step (google-research kws_streaming
  `att_mh_rnn`) -> Dense -> softmax.
* `kws-gru`: the same without attention (last states + Dense).
"""

from __future__ import annotations

from zoo.data.speech_commands import CLIP_SAMPLES, LABELS
from zoo.lazy import forward
from zoo.models.kws.family import CAUSAL_FAMILY, FAMILY
from zoo.registry import register_model

DESCRIPTION = ("12-class keyword spotting (Speech Commands labels) from 1 s of 16 kHz "
               "audio; trained on synthetic speech (see the card)")
COMMON = dict(family=FAMILY, input_spec={"shape": (CLIP_SAMPLES,), "name": "audio"},
              labels=list(LABELS))

#: The builders and layers live in `architecture` (Keras), imported when first used.
__getattr__ = forward(__name__, "zoo.models.kws.architecture",
                      ("build_bilstm", "build_gru", "front_end", "STREAM_FRAME", "WINDOW_FRAMES"))


@register_model("kws-att-bilstm", baseline="kws-bilstm", description="Conv1D + BiLSTM + "
                "attention pooling (middle query). " + DESCRIPTION, **COMMON)
def kws_att_bilstm(**config):
    from zoo.models.kws.architecture import build_bilstm

    return build_bilstm(attention=True, **config)


@register_model("kws-bilstm", description="Conv1D + BiLSTM, last states, no attention "
                "(baseline of kws-att-bilstm). " + DESCRIPTION, **COMMON)
def kws_bilstm(**config):
    from zoo.models.kws.architecture import build_bilstm

    return build_bilstm(attention=False, **config)


@register_model("kws-att-mh-gru", baseline="kws-gru", description="Conv1D + BiGRU + "
                "multi-head attention (kws_streaming att_mh_rnn style). " + DESCRIPTION, **COMMON)
def kws_att_mh_gru(**config):
    from zoo.models.kws.architecture import build_gru

    return build_gru(attention=True, **config)


@register_model("kws-gru", description="Conv1D + BiGRU, last states, no attention "
                "(baseline of kws-att-mh-gru). " + DESCRIPTION, **COMMON)
def kws_gru(**config):
    from zoo.models.kws.architecture import build_gru

    return build_gru(attention=False, **config)


STREAM_DESCRIPTION = ("12-class keyword spotting that streams one 20 ms frame per call "
                      "(state carried; 1 s attention ring); trained on synthetic speech with "
                      "running speech before and around the keywords (see the card)")


@register_model("kws-stream-att-gru", family=CAUSAL_FAMILY, baseline="kws-stream-gru",
                description="causal Conv1D + GRU + 4-head attention of the newest state over a "
                "ring of the last 1 s of states. " + STREAM_DESCRIPTION,
                **{k: v for k, v in COMMON.items() if k != "family"})
def kws_stream_att_gru(**config):
    from zoo.models.kws.causal import build_causal_gru

    return build_causal_gru(attention=True, **config)


@register_model("kws-stream-gru", family=CAUSAL_FAMILY, description="causal Conv1D + GRU, "
                "newest state + an MLP of the attention's size, no attention (baseline of "
                "kws-stream-att-gru). " + STREAM_DESCRIPTION,
                **{k: v for k, v in COMMON.items() if k != "family"})
def kws_stream_gru(**config):
    from zoo.models.kws.causal import build_causal_gru

    return build_causal_gru(attention=False, **config)
