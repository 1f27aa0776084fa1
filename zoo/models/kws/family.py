"""The keyword-spotting family: 1 s of 16 kHz audio -> one of the 12 Speech Commands labels."""

from zoo import tasks

FAMILY = tasks.SPEECH.derive(
    "kws",
    trainer="zoo.models.kws.train:main",
    representative_data="zoo.models.kws.preprocessing:representative_data",
    example_input="zoo.models.kws.preprocessing:example_input",
    tflite_inputs="zoo.models.kws.preprocessing:tflite_inputs",
    variants={"streaming": "zoo.models.kws.streaming:streaming_model"},
    # One signature, one invoke (MediaPipe AudioClassifier, Interpreter.runSignature):
    # 1 s of audio is a fixed length. dynamic and int16x8 cannot keep the log-mel float
    # in one graph (export.convert.SINGLE_REFUSED): those stay stepped.
    layouts={"float32": "single", "float16": "single", "int8": "single"},
    description="12-class keyword spotting (Speech Commands labels) from 1 s of 16 kHz audio")

#: Causal keyword spotters that stream one 20 ms frame per call (`zoo.models.kws.causal`):
#: trained on clips with speech before the keyword; their "streaming" variant is the
#: one-frame step with its state as inputs and outputs.
CAUSAL_FAMILY = FAMILY.derive(
    "kws-stream",
    trainer="zoo.models.kws.train_causal:main",
    frame_stream="zoo.models.kws.frames:frame_stream",
    variants={"streaming": "zoo.models.kws.causal:streaming_variant"},
    description="12-class keyword spotting that streams: one 20 ms frame per call, "
                "state carried between calls")
