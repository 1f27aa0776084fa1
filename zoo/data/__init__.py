"""Datasets for the zoo's reference models.

    from zoo.data import speech_commands
    speech_commands.build("data/kws")                       # synthetic, offline
    x, y, names = speech_commands.load("data/kws", "train")  # or the real corpus

Submodules are imported on demand so `import zoo.data` stays light:

- `zoo.data.audio`            the one audio reader (WAV/FLAC, soundfile), WAV writing,
                              resampling, trimming
- `zoo.data.speech_commands`  the 12-class Speech Commands task (a package: synthetic
                              builder and loader of the real Google corpus layout)
"""

__all__ = ["audio", "speech_commands"]
