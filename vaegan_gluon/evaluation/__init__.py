"""Scoring generations in feature spaces the project trains and ships (see ``extractors``)."""
from .extractors import NAMES, SPECS, Extractor, get_extractor

__all__ = ["get_extractor", "Extractor", "NAMES", "SPECS"]
