"""Which TFLite ops the GPU delegate takes, statically.

`DOCUMENTED` is the op list of LiteRT's GPU delegate documentation ("GPU ML
operations support", float16/float32). It is deliberately strict: the
delegate accepts some more ops in practice, and only running the file on a
GPU backend proves it (the WebGPU check of the GPU issue). `tf.lite.
experimental.Analyzer` is not used: it called a `WHILE` model compatible.
"""

DOCUMENTED = frozenset({
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "EXP",
    "FULLY_CONNECTED", "LOGICAL_AND", "LOGISTIC", "LSTM", "MAX_POOL_2D", "MAXIMUM",
    "MINIMUM", "MUL", "PAD", "PRELU", "RELU", "RELU6", "RESHAPE", "RESIZE_BILINEAR",
    "SOFTMAX", "STRIDED_SLICE", "SUB", "TRANSPOSE_CONV",
})

#: Ops that certainly keep a model off the GPU delegate (control flow, Flex).
BLOCKING = frozenset({"WHILE", "IF", "CALL_ONCE", "VAR_HANDLE", "READ_VARIABLE",
                      "ASSIGN_VARIABLE"})


def undocumented_ops(op_names):
    """Sorted op names outside the documented GPU op list."""
    return sorted({op for op in op_names if op not in DOCUMENTED})


def blocking_ops(op_names):
    return sorted({op for op in op_names if op in BLOCKING or op.startswith("CUSTOM:")})
