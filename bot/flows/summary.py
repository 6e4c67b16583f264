"""Summary lines both forms show before sending: region and place in words."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.flows.base import FlowContext
from bot.flows.steps import UNKNOWN


def region_line(answers: Mapping[str, Any], ctx: FlowContext) -> str:
    region = answers.get("region", UNKNOWN)
    if region == UNKNOWN:
        said = answers.get("region_said")
        return ctx.t("common.region_said", said=said) if said else ctx.t("common.dont_know")
    name = ctx.regions.region(region).name
    kecamatan = answers.get("kecamatan")
    if answers.get("region_said") and kecamatan == UNKNOWN:
        return f"{name} ({ctx.t('common.region_said', said=answers['region_said'])})"
    if kecamatan and kecamatan != UNKNOWN:
        return ctx.t("common.region_with_kecamatan", region=name, kecamatan=ctx.regions.kecamatan(kecamatan).name)
    return name


def place_line(place: Mapping[str, Any], ctx: FlowContext) -> str:
    if "landmark" in place:
        landmark: str = place["landmark"]
        return landmark
    return ctx.t("sighting.pin", latitude=f"{place['latitude']:.5f}", longitude=f"{place['longitude']:.5f}")


def photos_line(count: int, t: Callable[..., str]) -> str:
    """ "tidak ada" or "1 terlampir": the summary and /dataku say it alike; `t` renders a catalog key."""
    return t("sighting.photo_count", count=count) if count else t("sighting.photo_none")
