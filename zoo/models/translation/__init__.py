"""Translation: encoder-decoder RNNs with and without attention (mt-* models)."""
