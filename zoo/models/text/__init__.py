"""Text classification (10 fortunes topics): attention-pooled BiGRU and its baseline."""
from zoo.models.text import models  # noqa: F401  registers the text-* builders
