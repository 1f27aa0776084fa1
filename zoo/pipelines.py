"""A model loaded once, with its family's pre- and postprocessing: `zoo.pipeline(name)`.

    p = zoo.pipeline("kws-att-mh-gru", backend="int8")   # or "keras" (default)
    p("yes.wav")                      # "yes"  (as zoo.predict)
    p(["yes.wav", "no.wav"], top_k=2) # [[("yes", 0.97), ("left", 0.01)], ...]
    p.explain("yes.wav")              # as zoo.explain (the attention model, loaded on first use)

`zoo.predict`, `zoo.explain`, `zoo predict` and the keyword demo all run through
this object. `zoo.predict` keeps a few pipelines (`cached`), keyed by model name,
backend and the identity (path, size, mtime) of the model's artifact files, so a
second call costs milliseconds and a changed file is loaded again.

Many inputs (a list, or any iterator: a generator of 10,000 WAV paths) are read
and run `chunk_size` items at a time, so memory stays bounded. A family that
replaces `predict` (translators: beam search) is called with the loaded model.
"""

from __future__ import annotations

import collections
import itertools
import os
import threading

import numpy as np

from zoo import registry

#: Items read, run and postprocessed at a time (bounds memory for long lists).
CHUNK_SIZE = 256
#: How many pipelines `zoo.predict` keeps loaded.
CACHE_SIZE = 4
BACKENDS = ("keras", *registry.MODES)


def _check_backend(backend):
    if backend not in BACKENDS:
        raise ValueError(f"backend must be 'keras' or a shipped TFLite mode (quantize must be "
                         f"one of {', '.join(registry.MODES)}); got {backend!r}")


class Pipeline:
    """See the module docstring. `model`: an already loaded Keras model or
    `export.runtime.Runtime` to use instead of loading one."""

    def __init__(self, name, backend="keras", *, model=None, threads=None, batch_size=32,
                 chunk_size=CHUNK_SIZE):
        from zoo import loading as api

        entry = registry.get(name)
        if not entry.has_hook("predict"):  # a family's own predict may also take a file path
            _check_backend(backend)
        if int(chunk_size) < 1 or int(batch_size) < 1:
            raise ValueError("chunk_size and batch_size must be at least 1")
        self.entry = entry
        self.name, self.backend = name, backend
        self.batch_size, self.chunk_size = int(batch_size), int(chunk_size)
        self._explainer = None
        self._lock = threading.Lock()
        self._threads = threads
        if model is not None and not entry.has_hook("predict"):
            api._check_model(entry, model)  # a family's own predict checks its model itself
        self._model = model
        self.labels = api._class_labels(entry)

    @property
    def model(self):
        """The loaded model (loaded on first use): a Keras model, an
        `export.runtime.Runtime`, or None for a family's own TFLite loading
        (translators)."""
        from zoo import loading as api

        with self._lock:
            if self._model is None:
                if self.backend == "keras":
                    self._model = api.load(self.name, compile=False)
                elif not self.entry.has_hook("predict"):
                    self._model = api.load_tflite(self.name, self.backend, threads=self._threads)
            return self._model

    def load(self):
        """Load the model now (else on the first call); returns the pipeline."""
        self.model  # noqa: B018
        return self

    def __repr__(self):
        return f"Pipeline({self.name!r}, backend={self.backend!r})"

    def __call__(self, inputs, **options):
        return self.predict(inputs, **options)

    # ----------------------------------------------------------------- predict

    def run(self, x):
        """The model's raw outputs for preprocessed inputs `x` (one chunk)."""
        model = self.model
        if hasattr(model, "predict"):
            n = len(x[0] if isinstance(x, (list, tuple)) else x)
            if n <= self.batch_size:  # one batch: no per-call predict() setup
                return model.predict_on_batch(x)
            return model.predict(x, batch_size=self.batch_size, verbose=0)
        return model(*x) if isinstance(x, (list, tuple)) else model(x)

    def predict(self, inputs, *, top_k=None, **options):
        """What `zoo.predict` gives for `inputs`; with `top_k=k` (classifiers) a list
        of `(label, probability)` pairs, most probable first, per item. `options`
        go to a family's own predict (translators: `beam`, `length_penalty`,
        `no_repeat_ngram`)."""
        entry = self.entry
        if top_k is not None:
            top_k = self._check_top_k(top_k)
        if entry.has_hook("predict"):
            if top_k is not None:
                raise ValueError(self._not_classifier("top_k"))
            tflite = None if self.backend == "keras" else self.backend
            return entry.hook("predict")(inputs, model=self.model, tflite=tflite, **options)
        if options:
            raise TypeError(f"{self.name!r} takes no option(s) {', '.join(sorted(options))}")
        post = entry.hook("postprocess")

        def chunk_results(chunk):
            y = self.run(entry.hook("preprocess")(chunk))
            return _top_k(self, y, top_k) if top_k is not None else post(y, self.labels)

        return self._chunked(inputs, "predict", chunk_results)

    def _chunked(self, inputs, what, fn):
        """`fn(items)` over `inputs` in chunks, joined (one result for a single item)."""
        single, items = as_items(self.entry, inputs)
        parts = []
        for chunk in _chunks(items, self.chunk_size):
            parts.append(fn(chunk))
        if not parts:
            raise ValueError(f"{what} needs at least one input")
        if all(isinstance(p, np.ndarray) for p in parts):
            results = np.concatenate(parts) if len(parts) > 1 else parts[0]
        else:
            results = [r for p in parts for r in p]
        return results[0] if single else results

    def _check_top_k(self, top_k):
        if not self.entry.is_classifier:
            raise ValueError(self._not_classifier("top_k"))
        if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1:
            raise ValueError(f"top_k must be a positive int (the number of labels per item); "
                             f"got {top_k!r}")
        return int(top_k)

    def _not_classifier(self, what):
        return (f"{what} ranks the classes of a classifier; {self.name!r} is a "
                f"{self.entry.task} model: call it without {what}")

    # ----------------------------------------------------------------- explain

    def explain(self, inputs):
        """What `zoo.explain` gives for `inputs` (the attention model is loaded on first
        use and kept)."""
        entry = self.entry
        if entry.has_hook("explain"):  # the family explains by itself (translators)
            return entry.hook("explain")(inputs)
        model = self._attention_model()
        post, steps_of = entry.hook("postprocess"), entry.hook("attention_steps")

        def chunk_results(chunk):
            x = entry.hook("preprocess")(chunk)
            probs, weights = model.predict(x, batch_size=self.batch_size, verbose=0)
            results = post(probs, self.labels)
            steps = (steps_of(chunk, x, weights) if steps_of
                     else [(weights.shape[-1], None)] * len(chunk))
            return [{"result": result, "weights": np.asarray(weights[i, ..., :n], np.float32),
                     "steps": labels_}
                    for i, (result, (n, labels_)) in enumerate(zip(results, steps))]

        return self._chunked(inputs, "explain", chunk_results)

    def _attention_model(self):
        from zoo import loading as api

        with self._lock:
            if self._explainer is None:
                try:
                    self._explainer = api.load(self.name, compile=False, return_attention=True)
                except (TypeError, ValueError) as exc:
                    raise ValueError(
                        f"{self.name!r} returns no attention weights to explain ({exc}): "
                        "zoo.explain works for models whose builder takes "
                        "return_attention=True, and for translators") from None
            return self._explainer


def _top_k(pipe, outputs, k):
    from zoo.defaults import check_finite, first_output

    y = first_output(outputs)
    y = y.reshape(y.shape[0], -1)
    check_finite(pipe.name, y)
    labels = pipe.labels
    if labels is not None and y.shape[-1] != len(labels):
        raise ValueError(f"{pipe.name!r} outputs {y.shape[-1]} classes but has {len(labels)} "
                         "labels")
    k = min(k, y.shape[-1])
    order = np.argsort(-y, axis=-1, kind="stable")[:, :k]
    return [[(labels[int(j)] if labels is not None else int(j), float(row[j])) for j in idx]
            for row, idx in zip(y, order)]


def _item_ndim(entry):
    ndim = entry.family.item_ndim
    return len(entry.input_spec[0]["shape"]) if ndim is None else ndim


def as_items(entry, inputs):
    """`(single, items)`: one item as a list of one, a batch as a list, an iterator
    as it is (read chunk by chunk, never all at once)."""
    if isinstance(inputs, (str, bytes, os.PathLike)):
        return True, [inputs]
    if isinstance(inputs, (list, tuple)):
        return False, list(inputs)
    if isinstance(inputs, collections.abc.Iterator):
        return False, inputs
    arr = np.asarray(inputs)
    ndim = _item_ndim(entry)
    if arr.ndim == ndim:
        return True, [arr]
    if arr.ndim == ndim + 1:
        return False, list(arr)
    raise ValueError(f"{entry.name!r} takes one {entry.task} input with {ndim} axes or a batch "
                     f"with {ndim + 1}; got an array of shape {arr.shape}")


def _chunks(items, size):
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def pipeline(name, backend="keras", *, model=None, threads=None, batch_size=32,
             chunk_size=CHUNK_SIZE):
    """A new `Pipeline` for the registered model `name` (see the module docstring)."""
    return Pipeline(name, backend, model=model, threads=threads, batch_size=batch_size,
                    chunk_size=chunk_size).load()


# -------------------------------------------------------------------- cache

_CACHE: collections.OrderedDict = collections.OrderedDict()
_CACHE_LOCK = threading.Lock()


def artifact_identity(name):
    """What changes when a model's files change: its artifact folder and each file's
    size, mtime and inode (a stat per file; nothing is hashed)."""
    artifacts = registry.find_artifacts(name)
    if artifacts is None:
        return None
    files = []
    for path in sorted(artifacts.path.iterdir()):
        if path.is_file():
            st = path.stat()
            files.append((path.name, st.st_size, st.st_mtime_ns, st.st_ino))
    return str(artifacts.path), tuple(files)


def cached(name, backend="keras"):
    """The pipeline of `name` and `backend` that `zoo.predict` uses: loaded once, loaded
    again when the model's registration or artifact files change."""
    entry = registry.get(name)
    key = (name, str(backend))
    identity = (id(entry), artifact_identity(name))
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] == identity and hit[1].entry is entry:
            _CACHE.move_to_end(key)
            return hit[1]
    pipe = Pipeline(name, backend)
    with _CACHE_LOCK:
        _CACHE[key] = (identity, pipe)
        _CACHE.move_to_end(key)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return pipe


def clear_cache():
    """Forget the pipelines `zoo.predict` keeps."""
    with _CACHE_LOCK:
        _CACHE.clear()


__all__ = ["BACKENDS", "CHUNK_SIZE", "Pipeline", "pipeline", "cached", "clear_cache",
           "artifact_identity", "as_items"]
