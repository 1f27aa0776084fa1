"""Translation: encoder-decoder RNNs with and without attention (mt-* models).

    family.py     what the family is (predict = beam search, explain = alignments, exporter)
    models.py     the builders (FAMILIES: one entry per corpus), registered by name (no Keras)
    architecture.py  the Keras layers, build_translator, inference_models
    translate.py  sentences -> ids -> decoder loop -> sentences
    decoding.py   greedy and beam search over any step function
    inference.py  the family's predict / explain / calibration hooks
    evaluation.py BLEU / chrF / exact match, by source length
    train.py      `zoo train mt-*`
"""

from zoo.lazy import submodules

__getattr__ = submodules(__name__)
