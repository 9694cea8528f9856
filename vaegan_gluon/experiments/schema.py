"""The training settings' schema, read from :class:`~vaegan_gluon.train.TrainConfig` at runtime.

``dataclasses.fields`` walked recursively into nested dataclasses; types from the annotations
(``int``, ``float`` -- finite, an int is accepted --, ``bool``, ``str``, ``Optional``/``Union``,
``Literal``, ``list``/``tuple``, ``dict``, ``Any``); ranges and choices from the dataclasses themselves
(``__post_init__`` and a ``validate()`` method where one exists), their ``ValueError`` turned into a
one-line message. Nothing here names a setting, so the schema follows TrainConfig as it changes.
"""
import copy
import dataclasses
import math
import typing


def _train_class():
    from ..train import TrainConfig
    return TrainConfig


def _hints(cls):
    try:
        return typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001  (a forward reference we cannot resolve: the raw annotations)
        return {f.name: f.type for f in dataclasses.fields(cls)}


def _dataclass_of(tp):
    """The dataclass inside ``tp`` (``X`` or ``Optional[X]``), else None."""
    if dataclasses.is_dataclass(tp):
        return tp
    for arg in typing.get_args(tp) if typing.get_origin(tp) is typing.Union else ():
        if dataclasses.is_dataclass(arg):
            return arg
    return None


def train_keys(cls=None, prefix="train"):
    """Every dotted key of the training settings, nested dataclasses walked (``train.extra.*`` for a
    plain dict field)."""
    cls = cls or _train_class()
    keys, hints = [], _hints(cls)
    for f in dataclasses.fields(cls):
        sub = _dataclass_of(hints.get(f.name))
        if sub is not None:
            keys += train_keys(sub, f"{prefix}.{f.name}")
        else:
            keys.append(f"{prefix}.{f.name}" + (".*" if _is_open_dict(hints.get(f.name)) else ""))
    return keys


def _is_open_dict(tp):
    return tp is dict or typing.get_origin(tp) is dict


def _type_name(tp):
    if tp is type(None):
        return "null"
    if typing.get_origin(tp) is typing.Union:
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if typing.get_origin(tp) is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    return getattr(tp, "__name__", str(tp))


def _type_ok(value, tp):
    if tp in (typing.Any, object) or isinstance(tp, typing.TypeVar):
        return True
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Union:
        return any(_type_ok(value, a) for a in args)
    if origin is typing.Literal:
        return value in args and type(value) in {type(a) for a in args}
    if tp is type(None):
        return value is None
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:   # an int is a float; NaN and inf are not a setting
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if tp is str:
        return isinstance(value, str)
    if origin in (list, tuple) or tp in (list, tuple):
        return isinstance(value, (list, tuple)) and (not args or all(_type_ok(v, args[0]) for v in value))
    if _is_open_dict(tp):
        return isinstance(value, dict)
    if dataclasses.is_dataclass(tp):
        return isinstance(value, dict)
    if isinstance(tp, type):
        return isinstance(value, tp)
    return True   # an annotation we do not know: the dataclass's own validation decides


FLOAT32_TINY, FLOAT32_MAX = 1.1754943508222875e-38, 3.4028234663852886e+38   # float32's smallest normal, largest


def check_train(train, cls=None, prefix="train"):
    """Names and types of the ``train`` section against the dataclass ``cls`` (TrainConfig),
    recursively. Raises ``ValueError`` naming the key and what is valid."""
    cls = cls or _train_class()
    if not isinstance(train, dict):
        raise ValueError(f"{prefix} must be a dict of settings, got {train!r}")
    fields, hints = {f.name: f for f in dataclasses.fields(cls)}, _hints(cls)
    for k, v in train.items():
        if k not in fields:
            raise ValueError(f"unknown key {prefix}.{k}; valid keys: {', '.join(train_keys(cls, prefix))}")
        tp, sub = hints.get(k, typing.Any), _dataclass_of(hints.get(k))
        if sub is not None and isinstance(v, dict):
            check_train(v, sub, f"{prefix}.{k}")
        elif not _type_ok(v, tp):
            raise ValueError(f"{prefix}.{k} must be {_type_name(tp)}, got {v!r}")
        # MXNet computes in float32: 1e-320 trained until an operator refused it ("Out of range value for
        # scalar"; found by the trained settings fuzz)
        if isinstance(v, float) and v != 0 and v == v and abs(v) != float("inf") and not (
                FLOAT32_TINY <= abs(v) <= FLOAT32_MAX):
            raise ValueError(f"{prefix}.{k}={v!r} is not a float32 (the arithmetic's): use 0 or a magnitude "
                             f"in [{FLOAT32_TINY:.3g}, {FLOAT32_MAX:.3g}]")


def _validate_tree(obj, prefix="train"):
    """Call ``validate()`` on the dataclass ``obj`` and the dataclasses inside it."""
    if hasattr(obj, "validate"):
        obj.validate()
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            _validate_tree(value, f"{prefix}.{f.name}")


def build_train(train):
    """``check_train`` + the dataclass built (its ranges and choices checked): the TrainConfig."""
    check_train(train)
    try:
        tc = _train_class().from_dict(copy.deepcopy(train))
        _validate_tree(tc)
    except Exception as err:  # noqa: BLE001  (a bad value may fail in any way inside a constructor)
        raise ValueError(f"train: {one_line(err)}") from None
    # lr must be > 0 (TrainConfig); disc_lr was not checked: a negative one trained and diverged (the trained
    # settings fuzz found train.disc_lr=-138633869577.1)
    disc_lr = getattr(tc, "disc_lr", None)
    if disc_lr is not None and not (isinstance(disc_lr, (int, float)) and 0 < disc_lr < float("inf")):
        raise ValueError(f"train.disc_lr must be > 0 and finite (or null: the same as train.lr), got {disc_lr!r}")
    return tc


def one_line(err):
    return " ".join(str(err).strip("'\"").split()) or type(err).__name__


def key_error(parts):
    """None when ``train.<parts...>`` is a key an override may set, else the one-line error."""
    cls, prefix = _train_class(), "train"
    full = ".".join(["train"] + list(parts))
    for i, p in enumerate(parts):
        if p not in {f.name for f in dataclasses.fields(cls)}:
            return f"unknown key {full}; valid keys: {', '.join(train_keys(cls, prefix))}"
        if i == len(parts) - 1:
            return None
        tp = _hints(cls).get(p)
        if _is_open_dict(tp):   # a plain dict (any keys): one more level
            return None if i == len(parts) - 2 else f"unknown key {full}: {prefix}.{p} holds plain settings"
        sub = _dataclass_of(tp)
        if sub is None:
            return f"unknown key {full}: {prefix}.{p} is a {_type_name(tp)} setting, not a section"
        cls, prefix = sub, f"{prefix}.{p}"
    return None
