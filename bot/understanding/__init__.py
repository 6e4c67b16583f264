"""The understanding step: what a citizen's free text means (bot/understanding/understand.py)."""

from __future__ import annotations

from functools import cache

from bot.domain.regions import RegionCatalog, load_regions
from bot.i18n import Catalog, load_catalog
from bot.understanding.meanings import Danger, Guess, Guesses, Meanings
from bot.understanding.places import OUTSIDE
from bot.understanding.understand import Understanding

__all__ = [
    "OUTSIDE",
    "Danger",
    "Guess",
    "Guesses",
    "Meanings",
    "Understanding",
    "load_understanding",
    "understanding_for",
]


@cache
def understanding_for(catalog: Catalog, regions: RegionCatalog) -> Understanding:
    """One compiled vocabulary per catalog and region list: building it takes about half a second."""
    return Understanding(catalog, regions)


def load_understanding() -> Understanding:
    """The vocabulary of the service's catalogs and areaid's Banten."""
    return understanding_for(load_catalog(), load_regions())
