"""Typed settings: the base of every scheme's / stabiliser's settings dataclass.

A subclass is a plain ``@dataclass`` with annotated, defaulted fields and an optional ``validate()``
raising ``ValueError`` that names the key, the value and what is valid. ``__post_init__`` checks every
field's type from its annotation (``float`` accepts an int, ``Optional[X]`` accepts None) and then runs
``validate()``; :meth:`Settings.from_dict` refuses unknown keys naming the valid ones.
"""
import dataclasses
import math
import typing


def _accepts(tp, v):
    if tp is typing.Any:
        return True
    if typing.get_origin(tp) is typing.Union:
        return any(_accepts(a, v) for a in typing.get_args(tp))
    if tp is type(None):
        return v is None
    if tp is float:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    if tp is int:
        return isinstance(v, int) and not isinstance(v, bool)
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        return isinstance(v, (list, tuple))
    return isinstance(v, tp)


class Settings:
    """Mixin for settings dataclasses (see the module docstring)."""

    def __post_init__(self):
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if not _accepts(hints[f.name], v):
                raise ValueError(f"setting {f.name}={v!r} has the wrong type: expected "
                                 f"{getattr(hints[f.name], '__name__', str(hints[f.name]))}")
            if hints[f.name] is float and v is not None:
                object.__setattr__(self, f.name, float(v))
        self.validate()

    def validate(self):
        """Ranges and choices (``ValueError`` naming the key, the value and what is valid)."""

    @classmethod
    def from_dict(cls, d):
        d = dict(d or {})
        valid = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(d) - set(valid))
        if unknown:
            raise ValueError(f"unknown setting(s) {unknown}; valid: {sorted(valid)}")
        return cls(**d)


def check_range(name, value, lo=None, hi=None, lo_open=False, hi_open=False):
    """``ValueError`` naming ``name`` unless ``lo <= value <= hi`` (open ends when asked)."""
    bad = ((lo is not None and (value <= lo if lo_open else value < lo))
           or (hi is not None and (value >= hi if hi_open else value > hi)))
    if bad:
        lb = "(" if lo_open else "["
        rb = ")" if hi_open else "]"
        raise ValueError(f"setting {name}={value!r} out of range: valid {lb}{'-inf' if lo is None else lo}, "
                         f"{'inf' if hi is None else hi}{rb}")


def check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"setting {name}={value!r} unknown: valid {list(choices)}")
