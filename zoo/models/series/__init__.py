"""Time-series classification (JapaneseVowels, PLAID): attention-pooled GRU and its baseline."""
