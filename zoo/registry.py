"""Models by name, offline: a registry of builders and their shipped artifacts.

Modelled on timm's registry and keras-hub presets, without any network:

    from zoo.registry import register_model

    @register_model("kws-gru", task="speech", input_spec=(49, 40),
                    labels=["yes", "no", ...], preprocess="zoo.models.kws:features",
                    trainer="zoo.models.kws:train_main")
    def build(units=64, **config):
        ...                              # returns an untrained keras.Model

    zoo.registry.list_models("kws-*")   # ['kws-gru', ...]
    zoo.registry.get("kws-gru").build()  # the architecture

Entries
-------
`register_model(name, *, family, input_spec, ...)` registers a *builder*
(`build(**config) -> keras.Model`, untrained). `family` is the
`zoo.family.Family` of its folder of `zoo/models/`, which says how its
models read input, explain, export, calibrate and train; a model may give
`task=` (one of `TASKS`) instead and gets that task's defaults
(`zoo.tasks`). `baseline` names its no-attention twin. `input_spec`
is the model input; `preprocess`, `postprocess`, `trainer` and
`representative_data` given here override the family's for this model:
the input spec (without the batch axis) is a shape tuple, a
dict `{"shape": ..., "dtype": ..., "name": ...}`, or a list of such dicts
for several inputs. Hooks are callables or dotted paths (`"pkg.mod:attr"` or
`"pkg.mod.attr"`), imported only when used:

* `preprocess(items: list) -> array | list of arrays`: user inputs (speech:
  WAV paths or 16 kHz float arrays; text: strings; series: `(time,
  channels)` arrays) to a batch of model inputs;
* `postprocess(outputs, labels) -> list | array`: model outputs to one
  result per item (classifiers: label strings; forecasters: arrays);
* `trainer(argv: list[str], name: str) -> int | None`: the `zoo train NAME`
  command (one trainer may serve several names);
  it writes its artifacts (below) to `user_dir(NAME)` and finishes with
  `write_checksums(...)`;
* `representative_data() -> array | list | dict`: real model inputs used
  to calibrate the `int8` / `int16x8` exports of `zoo export NAME`.

Models shipped with the package register themselves when the `models`
module of their family folder (every sub-package of `zoo.models`) is
imported, on first use of `get` / `list_models`: a new family is a new
folder, with no list to edit.

Artifacts
---------
A trained model lives in a directory named after it, searched first in
`$ZOO_HOME/<name>/` (default `~/.cache/attention-rnn-zoo`, where `zoo train
NAME` writes) and then in the package (`zoo/pretrained/<name>/`, shipped
models). **The user's trained copy wins**: after `zoo train kws-att-bilstm`,
`zoo.load`, `zoo predict` and `zoo export` use the new model, `zoo list` says
"$ZOO_HOME (over shipped)", and the first use in a process warns
(`UserWarning`) naming both folders; delete `$ZOO_HOME/<name>/` to go back to
the shipped model. The directory found is used as a whole (files are never
mixed between the two). It holds:

    model.weights.h5          Keras weights of `build(**config)`
    config.json               optional: builder keyword arguments
    <name>.<mode>.tflite      one per exported mode (`MODES`)
    labels.txt                classifiers: one label per line, class order
    card.json, card.md        model card (`python -m zoo.cards`)
    SHA256SUMS                `sha256sum` format, lists every file above

Every file is checked against `SHA256SUMS` when it is used; a missing,
unlisted or modified file raises `ChecksumError` naming the file and the fix.

This module imports only the standard library (and `export.modes`, which does
too): `import zoo.registry` does not load Keras or TensorFlow.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import fnmatch
import importlib
import importlib.util
import functools
import json
import os
import pkgutil
import re
from pathlib import Path
from typing import Any, Callable

from export.modes import MODES  # the export modes (standard library only)
from zoo import tasks as _tasks
from zoo.family import Family
from zoo.hub import ChecksumError, sha256_file

#: The tasks with defaults in `zoo.tasks`; a family may declare another.
TASKS = tuple(_tasks.DEFAULTS)
#: The package whose sub-packages (one per family) register the shipped models.
MODELS_PACKAGE = "zoo.models"
#: Per-model hooks of `register_model`, which override the family's.
ENTRY_HOOKS = ("trainer", "preprocess", "postprocess", "representative_data")
#: Family hooks called without the model name.
_UNBOUND = ("trainer", "exporter")

WEIGHTS_FILE = "model.weights.h5"
CONFIG_FILE = "config.json"
LABELS_FILE = "labels.txt"
CARD_JSON = "card.json"
CARD_MD = "card.md"
CHECKSUMS_FILE = "SHA256SUMS"
DEFAULT_HOME = "~/.cache/attention-rnn-zoo"

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_SUM_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")


class UnknownModelError(KeyError):
    """No model is registered under the name; the message suggests close names."""

    def __str__(self):  # KeyError would print the repr of the message
        return str(self.args[0]) if self.args else ""


class PretrainedNotFoundError(FileNotFoundError):
    """The model is registered but no trained artifacts exist for it."""


# ------------------------------------------------------------------- entries


def resolve(hook, what="hook"):
    """A callable from a callable or a dotted path (`pkg.mod:attr` / `pkg.mod.attr`)."""
    if hook is None or callable(hook):
        return hook
    if not isinstance(hook, str) or not hook.strip():
        raise TypeError(f"{what} must be a callable or a dotted path string; got {hook!r}")
    path = hook.strip()
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise ValueError(f"{what} {hook!r} is not a dotted path like 'package.module:function'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(f"{what} {hook!r}: cannot import {module_name!r} ({exc})") from exc
    obj = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ImportError(f"{what} {hook!r}: {module_name!r} has no attribute "
                              f"{attr!r}") from None
    if not callable(obj):
        raise TypeError(f"{what} {hook!r} is not callable")
    return obj


def _normalise_spec(spec):
    def one(s, i):
        if isinstance(s, dict):
            if "shape" not in s:
                raise ValueError(f"input_spec entry {i} needs a 'shape'; got {s!r}")
            out = dict(s)
        elif isinstance(s, (tuple, list)):
            out = {"shape": s}
        else:
            raise TypeError(f"input_spec must be a shape tuple, a dict with 'shape', or a list "
                            f"of those; got {s!r}")
        shape = out["shape"]
        if not isinstance(shape, (tuple, list)) or not all(
                d is None or (isinstance(d, int) and d > 0) for d in shape):
            raise ValueError(f"input_spec shape must be a tuple of positive ints or None "
                             f"(without the batch axis); got {shape!r}")
        out["shape"] = tuple(shape)
        out.setdefault("dtype", "float32")
        return out

    if isinstance(spec, list) and spec and all(isinstance(s, (dict, tuple, list)) for s in spec):
        return tuple(one(s, i) for i, s in enumerate(spec))
    return (one(spec, 0),)


@dataclasses.dataclass(frozen=True, eq=False)
class ModelEntry:
    """One registered model (see the module docstring for the fields)."""

    name: str
    builder: Callable[..., Any]
    family: Family
    input_spec: tuple
    labels: tuple | None = None
    description: str = ""
    trainer: Any = None
    preprocess: Any = None
    postprocess: Any = None
    exports: tuple = MODES
    representative_data: Any = None
    baseline: str | None = None
    metric: str | None = None

    @property
    def task(self):
        return self.family.task

    @property
    def is_classifier(self):
        return self.family.classifier

    @property
    def headline_metric(self):
        """The metric the model is judged by (its own, else its family's)."""
        return self.metric or self.family.metric

    def build(self, **config):
        """The untrained architecture: `builder(**config)`."""
        model = self.builder(**config)
        if not hasattr(model, "load_weights") or not hasattr(model, "predict"):
            raise TypeError(f"the builder of {self.name!r} ({_qualname(self.builder)}) must "
                            f"return a keras.Model; got {type(model).__name__}")
        return model

    def has_hook(self, field):
        """Whether the model or its family defines the hook `field` (nothing imported)."""
        own = getattr(self, field) if field in ENTRY_HOOKS else None
        return own is not None or getattr(self.family, field) is not None

    def hook_path(self, field):
        """Where the hook `field` lives: its dotted path (or the qualified name of a
        callable), the model's own before its family's; None without one."""
        own = getattr(self, field) if field in ENTRY_HOOKS else None
        hook = own if own is not None else getattr(self.family, field)
        return hook if hook is None or isinstance(hook, str) else _qualname(hook)

    def hook(self, field):
        """The callable of a hook (None when neither the model nor its family has one).
        A family's hook comes with the model name bound as its first argument
        (except `trainer` and `exporter`), so every hook is called alike."""
        own = getattr(self, field) if field in ENTRY_HOOKS else None
        if own is not None:
            return resolve(own, f"{self.name!r} {field}")
        hook = getattr(self.family, field)
        if hook is None:
            return None
        fn = resolve(hook, f"family {self.family.name!r} {field}")
        return fn if field in _UNBOUND else functools.partial(fn, self.name)

    def variant(self, kind, pretrained=True):
        """The model's `kind` variant (e.g. "streaming") as its family builds it."""
        if kind not in self.family.variants:
            raise ValueError(f"{self.name!r} has no {kind} variant; models with one: "
                             f"{', '.join(list_models(variant=kind)) or 'none'}")
        builder = resolve(self.family.variants[kind], f"family {self.family.name!r} {kind}")
        return builder(self.name, pretrained=pretrained)

    @property
    def builder_path(self):
        return _qualname(self.builder)

    def input_summary(self):
        return describe_inputs(self.input_spec)


def describe_inputs(specs):
    """`"name: (12, ?) float32, ..."` for normalised input specs."""
    def shape(s):
        return ", ".join("?" if d is None else str(d) for d in s["shape"])

    return ", ".join(f"{s.get('name', 'input')}: ({shape(s)}) {s['dtype']}" for s in specs)


def _qualname(fn):
    return f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', repr(fn))}"


_REGISTRY: dict[str, ModelEntry] = {}
_builtins_loaded = False


def _ensure_builtins():
    global _builtins_loaded
    if _builtins_loaded:
        return
    _builtins_loaded = True
    discover()


def discover():
    """Import the `models` module of every family folder of `zoo.models` (those already
    imported are left as they are); a folder added at run time registers here."""
    for module in family_modules():
        importlib.import_module(module)


def family_modules():
    """The modules that register the builders of each family folder of `zoo.models`:
    its `models` module (the folder itself where it has none). The folders'
    `__init__` stay light: `zoo.models.translation.decoding` loads no Keras."""
    package = importlib.import_module(MODELS_PACKAGE)
    folders = sorted(f"{MODELS_PACKAGE}.{m.name}" for m in pkgutil.iter_modules(package.__path__)
                     if m.ispkg)
    return [f"{f}.models" if importlib.util.find_spec(f"{f}.models") else f for f in folders]


def check_name(name):
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"model name {name!r} is invalid: use lower-case letters, digits, "
                         "'-', '_' and '.', starting with a letter or digit")
    return name


def _family_of(family, task):
    if family is None:
        if task not in _tasks.DEFAULTS:
            raise ValueError(f"task must be one of {', '.join(TASKS)} (or give family=); "
                             f"got {task!r}")
        return _tasks.DEFAULTS[task]
    if not isinstance(family, Family):
        raise TypeError(f"family must be a zoo.family.Family; got {family!r}")
    if task is not None and task != family.task:
        raise ValueError(f"task {task!r} differs from the task {family.task!r} of family "
                         f"{family.name!r}; give one of them")
    return family


def register_model(name, *, input_spec, family=None, task=None, labels=None, description="",
                   trainer=None, preprocess=None, postprocess=None, exports=MODES,
                   representative_data=None, baseline=None, metric=None, overwrite=False):
    """Decorator registering `builder(**config) -> keras.Model` under `name`.

    Returns the builder unchanged. Registering a taken name raises
    `ValueError` unless `overwrite=True`.
    """
    check_name(name)
    family = _family_of(family, task)
    spec = _normalise_spec(input_spec)
    if labels is not None:
        if isinstance(labels, str) or not all(isinstance(x, str) and x for x in labels):
            raise TypeError(f"labels must be a list of non-empty strings; got {labels!r}")
        labels = tuple(labels)
        if len(set(labels)) != len(labels):
            raise ValueError(f"labels of {name!r} contain duplicates")
    exports = tuple(exports)
    bad = [m for m in exports if m not in MODES]
    if bad:
        raise ValueError(f"exports must be a subset of {', '.join(MODES)}; got {bad}")
    for field, hook in (("trainer", trainer), ("preprocess", preprocess),
                        ("postprocess", postprocess), ("representative_data", representative_data)):
        if hook is not None and not callable(hook) and not isinstance(hook, str):
            raise TypeError(f"{field} must be a callable or a dotted path string; got {hook!r}")
    if baseline is not None:
        check_name(baseline)

    def decorator(builder):
        if not callable(builder):
            raise TypeError(f"register_model({name!r}) must decorate a builder function")
        if name in _REGISTRY and not overwrite:
            raise ValueError(f"a model named {name!r} is already registered "
                             f"({_REGISTRY[name].builder_path}); pass overwrite=True to replace it")
        doc = (builder.__doc__ or "").strip().splitlines()
        _REGISTRY[name] = ModelEntry(
            name=name, builder=builder, family=family, input_spec=spec, labels=labels,
            description=description or (doc[0] if doc else ""), trainer=trainer,
            preprocess=preprocess, postprocess=postprocess, exports=exports,
            representative_data=representative_data, baseline=baseline, metric=metric)
        return builder

    return decorator


def unregister(name):
    """Remove `name` from the registry (KeyError-free when absent)."""
    _REGISTRY.pop(name, None)


@contextlib.contextmanager
def temporary_registry(empty=False):
    """Restore the registry, as it was on entry, when the block exits
    (tests register throw-away models inside one). With `empty`, the block
    starts from a registry without any model, the shipped ones included."""
    global _builtins_loaded
    _ensure_builtins()
    saved, loaded = dict(_REGISTRY), _builtins_loaded
    if empty:
        _REGISTRY.clear()
    try:
        yield
    finally:
        _REGISTRY.clear()
        _REGISTRY.update(saved)
        _builtins_loaded = loaded


def known_tasks():
    """The tasks of `zoo.tasks`, then those that registered families add (sorted)."""
    _ensure_builtins()
    return list(TASKS) + sorted({e.task for e in _REGISTRY.values()} - set(TASKS))


def list_models(pattern="*", task=None, family=None, variant=None):
    """Sorted names matching the fnmatch `pattern`, and `task`, the `family` name and
    a `variant` kind (e.g. "streaming") when given."""
    _ensure_builtins()
    if task is not None and task not in known_tasks():
        raise ValueError(f"task must be one of {', '.join(known_tasks())}; got {task!r}")
    return sorted(n for n, e in _REGISTRY.items()
                  if fnmatch.fnmatchcase(n, pattern or "*") and (task is None or e.task == task)
                  and (family is None or e.family.name == family)
                  and (variant is None or variant in e.family.variants))


def baseline_pairs():
    """`{attention model: its no-attention twin}` over every registered model."""
    _ensure_builtins()
    return {n: e.baseline for n, e in sorted(_REGISTRY.items()) if e.baseline}


def suggestions(name, n=3):
    """Registered names close to `name` (difflib), best first."""
    _ensure_builtins()
    names = sorted(_REGISTRY)
    close = difflib.get_close_matches(str(name), names, n=n, cutoff=0.5)
    close += [x for x in names if str(name) and str(name) in x and x not in close]
    return close[:n]


def get(name, task=None) -> ModelEntry:
    """The entry registered under `name`; `UnknownModelError` otherwise. With `task`,
    a model of another task raises `ValueError` naming the models of that task."""
    _ensure_builtins()
    try:
        entry = _REGISTRY[name]
    except (KeyError, TypeError):
        entry = None
    if entry is not None:
        if task is not None and entry.task != task:
            raise ValueError(f"{name!r} is a {entry.task} model, not a {task} model; {task} "
                             f"models: {', '.join(list_models(task=task)) or 'none registered'}")
        return entry
    close = suggestions(name)
    if close:
        hint = f"did you mean {', '.join(close)}?"
    elif _REGISTRY:
        hint = f"`zoo list` shows the {len(_REGISTRY)} registered models"
    else:
        hint = "no models are registered yet"
    raise UnknownModelError(f"unknown model {name!r}; {hint}")


# ----------------------------------------------------------------- artifacts


def zoo_home() -> Path:
    """`$ZOO_HOME`, default `~/.cache/attention-rnn-zoo` (user-trained models)."""
    return Path(os.environ.get("ZOO_HOME") or DEFAULT_HOME).expanduser()


def package_dir() -> Path:
    """`zoo/pretrained/` of the installed package (shipped models)."""
    return Path(__file__).resolve().parent / "pretrained"


def user_dir(name) -> Path:
    """Where `zoo train NAME` writes: `$ZOO_HOME/<name>/`."""
    return zoo_home() / check_name(name)


def tflite_filename(name, mode):
    return f"{name}.{mode}.tflite"


def read_checksums(directory) -> dict:
    """`{filename: sha256}` of `directory/SHA256SUMS` (ChecksumError if unusable)."""
    path = Path(directory) / CHECKSUMS_FILE
    if not path.is_file():
        raise ChecksumError(f"{path} is missing, so the files beside it cannot be verified")
    sums = {}
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ChecksumError(f"{path} is not UTF-8 text (bad byte at offset {exc.start}); it "
                            "must be `sha256sum` output, '<sha256>  <file name>' per line") from None
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        m = _SUM_LINE.match(line.rstrip("\r"))
        fname = m.group(2) if m else ""
        if not m or "/" in fname or "\\" in fname or fname in (".", ".."):
            raise ChecksumError(f"{path} line {i} is not '<sha256>  <file name>': {line!r}")
        sums[fname] = m.group(1).lower()
    return sums


def write_checksums(directory, files=None) -> Path:
    """Write `directory/SHA256SUMS` for `files` (default: every regular file
    in the directory except SHA256SUMS itself and dot files); returns its path.

    With `files` given, entries of other files already listed are kept, so
    `write_checksums(d, ["card.json", "card.md"])` refreshes only those two.
    """
    from zoo.files import atomic_write_bytes

    directory = Path(directory)
    if files is None:
        names = sorted(p.name for p in directory.iterdir()
                       if p.is_file() and p.name != CHECKSUMS_FILE and not p.name.startswith("."))
        sums = {}
    else:
        names = [Path(f).name for f in files]
        sums = read_checksums(directory) if (directory / CHECKSUMS_FILE).is_file() else {}
    for fname in names:
        sums[fname] = sha256_file(directory / fname)
    text = "".join(f"{sums[f]}  {f}\n" for f in sorted(sums))
    return atomic_write_bytes(directory / CHECKSUMS_FILE, text.encode())


@dataclasses.dataclass(frozen=True)
class Artifacts:
    """The artifact directory of a model; `file()` returns verified paths."""

    name: str
    path: Path
    source: str  # "package" or "user"
    shadows: Path | None = None  # the shipped folder a user copy hides

    @property
    def fix(self):
        if self.source == "package":
            return ("reinstall the package (pip install --force-reinstall --no-deps "
                    "attention-rnn-zoo)")
        return (f"retrain it with `zoo train {self.name}` (or delete {self.path}); if you changed "
                f"the files on purpose, run zoo.registry.write_checksums({str(self.path)!r})")

    def _fail(self, message):
        raise ChecksumError(f"{message}; fix: {self.fix}")

    def checksums(self):
        try:
            return read_checksums(self.path)
        except ChecksumError as exc:
            self._fail(f"{self.name!r}: {exc}")

    def listed(self):
        """File names listed in SHA256SUMS ([] when it is missing)."""
        try:
            return sorted(read_checksums(self.path))
        except ChecksumError:
            return []

    def has(self, filename):
        """Whether the file is present or listed (using it verifies it)."""
        return (self.path / filename).is_file() or filename in self.listed()

    def file(self, filename) -> Path:
        """`path/filename` after checking it against SHA256SUMS."""
        sums = self.checksums()
        target = self.path / filename
        if filename not in sums:
            self._fail(f"{target} is not listed in {self.path / CHECKSUMS_FILE}, so it cannot "
                       "be verified")
        if not target.is_file():
            self._fail(f"{target} is missing (it is listed in {CHECKSUMS_FILE})")
        got = sha256_file(target)
        if got != sums[filename]:
            self._fail(f"{target} does not match its {CHECKSUMS_FILE} entry (expected "
                       f"{sums[filename][:12]}..., got {got[:12]}...): the file is corrupt or "
                       "was modified")
        return target

    def verify(self):
        """Check every listed file; returns their names."""
        for fname in self.checksums():
            self.file(fname)
        return sorted(self.checksums())

    def read_text(self, filename) -> str:
        """The checked file `filename` as UTF-8 text (`ChecksumError` naming the file and
        the fix when it is not UTF-8, e.g. saved as UTF-16)."""
        target = self.file(filename)
        data = target.read_bytes()
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            self._fail(f"{target} is UTF-16 text; save it as UTF-8")
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self._fail(f"{target} is not UTF-8 text (bad byte at offset {exc.start}); save it "
                       "as UTF-8")

    def config(self) -> dict:
        """The builder keyword arguments of `config.json` (checked), or `{}` without one."""
        if not self.has(CONFIG_FILE):
            return {}
        target = self.path / CONFIG_FILE
        try:
            config = json.loads(self.read_text(CONFIG_FILE))
        except (json.JSONDecodeError, RecursionError) as exc:
            self._fail(f"{target} is not valid JSON ({exc}); it must be an object of builder "
                       "keyword arguments")
        if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
            self._fail(f"{target} must be a JSON object of builder keyword arguments "
                       f"({{\"units\": 64, ...}}); got a {type(config).__name__}")
        return config

    def tflite_modes(self):
        """Modes with a `<name>.<mode>.tflite` present or listed, in `MODES` order."""
        listed = set(self.listed())
        files = {m: tflite_filename(self.name, m) for m in MODES}
        return tuple(m for m in MODES if files[m] in listed or (self.path / files[m]).is_file())


_warned_shadows: set = set()


def find_artifacts(name) -> Artifacts | None:
    """The artifact directory of `name` (`$ZOO_HOME` first, then the package: the
    user's trained copy wins, see the module doc), or None."""
    check_name(name)
    user, shipped = zoo_home() / name, package_dir() / name
    if user.is_dir():
        shadows = shipped if shipped.is_dir() else None
        if shadows is not None and (str(user), str(shipped)) not in _warned_shadows:
            import warnings

            _warned_shadows.add((str(user), str(shipped)))
            warnings.warn(f"{name!r}: using your trained copy {user}, which takes the place of "
                          f"the shipped model {shipped}; delete {user} to use the shipped one",
                          UserWarning, stacklevel=2)
        return Artifacts(name=name, path=user, source="user", shadows=shadows)
    if shipped.is_dir():
        return Artifacts(name=name, path=shipped, source="package")
    return None


def require_artifacts(name) -> Artifacts:
    """Like `find_artifacts`, raising `PretrainedNotFoundError` when there are none."""
    found = find_artifacts(name)
    if found is None:
        raise PretrainedNotFoundError(
            f"no trained artifacts for {name!r}: looked in {package_dir() / name} and "
            f"{zoo_home() / name}; train it with `zoo train {name}` (writes to $ZOO_HOME), or "
            "use pretrained=False for the untrained architecture")
    return found


__all__ = [
    "TASKS", "MODES", "Family", "ModelEntry", "Artifacts", "UnknownModelError",
    "ChecksumError", "PretrainedNotFoundError", "register_model", "unregister", "list_models",
    "known_tasks", "baseline_pairs", "family_modules", "discover",
    "get", "suggestions", "temporary_registry", "resolve", "zoo_home", "package_dir", "user_dir",
    "find_artifacts", "require_artifacts", "read_checksums", "write_checksums", "tflite_filename",
    "describe_inputs",
]
