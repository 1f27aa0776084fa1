"""attention-rnn-zoo: attention layers for Keras 3 recurrent networks, reference
models and TFLite export for edge devices."""

__version__ = "0.1.0"
