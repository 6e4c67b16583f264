"""A correction typed at the summary: "bukan cikupa tp cisoka", "jam nya ganti sore aja".

The summary asks "Apakah data ini sudah benar?" and people answer with the fix itself rather than
pressing "Ubah" and picking the field. When the message says something is wrong ("bukan", "salah",
"ganti", "harusnya", or "bener tp ...") and names a new value for an answer the form already holds (the
place, the category or topic, for whom, the time to call, how to be contacted), that answer changes and
the summary (or the question the change reopens) is shown again.
Anything else is the summary's usual yes or no. Pure: the form applies what this returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.contact_times import SAFE_NOW
from bot.domain.pmks import UNCLASSIFIED, group_of
from bot.flows.base import FlowContext
from bot.understanding import OUTSIDE, Meanings

_KINDS = {"kab": "kab", "kabupaten": "kab", "kota": "kota", "kodya": "kota"}


@dataclass(frozen=True, slots=True)
class Correction:
    """New answers and the answers they make void (the kecamatan of a region that changed)."""

    changes: dict[str, Any]
    removes: tuple[str, ...] = ()


def correction_in(answers: Mapping[str, Any], text: str, ctx: FlowContext) -> Correction | None:
    """The change `text` asks for, or None when it names no new value for an answer given."""
    heard = ctx.understanding.read(text, answering_where=True)
    if not heard.correcting:
        # "bener semua tp sy mau anonim aja" changes an option; "bener tp sy mau nambahin, dia juga dipukul"
        # tells more of the story, which is no new category or topic
        return _options(answers, text, ctx) if ctx.understanding.says_but(text) else None
    return (
        _place(answers, heard, text, ctx)
        or _kind(answers, heard, ctx)
        or _content(answers, heard)
        or _options(answers, text, ctx)
    )


def _place(answers: Mapping[str, Any], heard: Meanings, text: str, ctx: FlowContext) -> Correction | None:
    """ "bukan cikupa tp cisoka": the kecamatan named that is not the one held; else such a region."""
    if "region" not in answers:
        return None
    held = answers.get("kecamatan")
    named = [code for code in heard.kecamatan.codes if code != held]
    if len(named) == 1 and "kecamatan" in answers:
        return Correction({"region": ctx.regions.kecamatan(named[0]).region, "kecamatan": named[0]}, ("region_said",))
    of_named = {ctx.regions.kecamatan(code).region for code in named}
    if len(of_named) == 1 and "kecamatan" not in answers and answers["region"] not in of_named:
        return Correction({"region": of_named.pop()}, ("region_said",))  # the form asks no kecamatan
    regions = [code for code in heard.region.codes if code not in (answers["region"], OUTSIDE)]
    if len(regions) == 1 and not named:
        return Correction({"region": regions[0]}, ("kecamatan", "region_said"))
    return None


def _kind(answers: Mapping[str, Any], heard: Meanings, ctx: FlowContext) -> Correction | None:
    """ "bukan kota serang, kabupaten", "harusnya kab serang bukan kota": the other kind of the same region."""
    kind, _, name = answers.get("region", "").partition("-")
    words = heard.text.lower().replace(".", " ").replace(",", " ").split()
    denied = {_KINDS[w] for w in ctx.understanding.denied_words(heard.text) if w in _KINDS}
    wanted = {_KINDS[w] for w in words if w in _KINDS} - denied
    other = {"kab": "kota", "kota": "kab"}.get(kind)
    region = f"{other}-{name}"
    if wanted == {other} and region in {r.code for r in ctx.regions.regions}:
        return Correction({"region": region}, ("kecamatan", "region_said"))
    return None


def _content(answers: Mapping[str, Any], heard: Meanings) -> Correction | None:
    """ "dia bukan pengemis tp pemulung", "bukan kdrt, lebih ke masalah ekonomi"."""
    category = heard.category.clear()
    if "category" in answers and category not in (None, answers["category"], UNCLASSIFIED):
        return Correction({"category": category, "group": group_of(category)})
    topic = heard.topic.clear()
    if "topic" in answers and topic not in (None, answers["topic"]):
        return Correction({"topic": topic})
    return None


def _options(answers: Mapping[str, Any], text: str, ctx: FlowContext) -> Correction | None:
    """ "jam nya ganti sore aja", "itu buat adek sy bukan buat sy", "ganti jadi anonim aja", "telpon aja".

    A change of how to be contacted voids the consent given for the old way (and a phone number no longer
    used): the form asks for the number and the consent again before the summary, so no path stores
    contact data without consent (issue 16).
    """
    time = ctx.understanding.options(text, "contact_time").clear()
    # "sekarang aman" is offered at the question of an urgent form only: at the summary it changes nothing
    if "contact_time" in answers and time not in (None, SAFE_NOW, answers["contact_time"]):
        return Correction({"contact_time": time})
    whom = ctx.understanding.options(text, "for_whom").clear()
    if "for_whom" in answers and whom not in (None, answers["for_whom"]):
        return Correction({"for_whom": whom})
    mode = ctx.understanding.options(text, "contact_mode").clear()
    key = "contact_mode" if "contact_mode" in answers else "contact_way" if "contact_way" in answers else None
    if key is None or mode in (None, answers[key]) or (key == "contact_way" and mode == "anonymous"):
        return None
    return Correction({key: mode}, ("consent",) if mode == "phone" else ("phone", "consent"))
