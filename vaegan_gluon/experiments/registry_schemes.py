"""Deprecated: the other studies' experiments are in the catalogue now (:mod:`.catalog.larsen`,
:mod:`.catalog.aegan`, :mod:`.catalog.stabilisers`, the attribute head in :mod:`.catalog.study`) and are
registered without importing anything. Kept so that old imports keep working."""
from .catalog import SCHEME_EXPERIMENTS, SCHEME_SWEEPS  # noqa: F401
from .catalog.study import N_FACE_ATTRIBUTES  # noqa: F401

__all__ = ["SCHEME_EXPERIMENTS", "SCHEME_SWEEPS", "register"]


def register():
    """No-op: the catalogue holds these experiments already."""
