"""Text classification (10 fortunes topics): attention-pooled BiGRU and its baseline."""
