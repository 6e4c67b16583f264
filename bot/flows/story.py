"""What a citizen's own words already answer in a form: category or topic, region, kecamatan, the story.

A story typed at the menu ("nenek tua tidur di emperan toko di pamulang") opens the report with the
category, region, kecamatan and description taken from it, so only what is still missing is asked.
Only meanings clearly ahead are taken; close ones are asked about by the step that owns them.
"""

from __future__ import annotations

from typing import Any

from bot.domain.pmks import group_of
from bot.domain.text import MAX_FREE_TEXT
from bot.flows.base import FlowContext
from bot.flows.clarify import as_answered, settled
from bot.understanding import OUTSIDE, Meanings

SIGHTING = "report_sighting"
#: How counseling reaches someone (it has no anonymous way: a counselor must reach them).
_WAYS = ("chat", "phone")
#: An answer to a question, not a story: a time said in it is when to be called.
_AN_ANSWER = 6
COUNSELING = "request_counseling"


def answers_from(form: str, heard: Meanings, ctx: FlowContext, *, as_story: bool) -> dict[str, Any]:
    """Every answer of `form` that `heard` states clearly; `as_story`: keep the text as the story too."""
    answers = place_answers(heard, ctx, off_work=form == COUNSELING)
    keep_text = as_story and heard.is_story and len(heard.text.strip()) <= MAX_FREE_TEXT
    # how to be reached, said in so many words (not asked: "bisa tanpa nama?" is a question about the service)
    way = None if "?" in heard.text else ctx.understanding.options(heard.text, "story_contact").clear()
    if form == SIGHTING:
        if (category := settled(as_answered(heard), heard)) is not None:
            answers.update(category=category, group=group_of(category))
        if keep_text:
            answers["description"] = heard.text.strip()
        if way is not None:
            answers["contact_mode"] = way
    else:
        if (topic := settled(heard.topic, heard)) is not None:
            answers["topic"] = topic
        if heard.danger is not None and heard.danger.self_:
            answers["for_whom"] = "self"
        elif whom := ctx.understanding.options(heard.text, "story_for_whom").clear():
            answers["for_whom"] = whom  # "saya mau konsul buat ibu saya, ...", "counseling for myself"
        elif heard.is_story and heard.about is not None:
            answers["for_whom"] = heard.about  # "sy ngerasa cemas terus ...", "anak sy sering bolos ..."
        if keep_text:
            answers["story"] = heard.text.strip()
        if way in _WAYS:
            answers["contact_way"] = way
    # "sy sendiri, hubungi sore aja", "telp aja abis jam 4 sore" at another question: the time to call too
    # (not a story's "tadi pagi"); a report keeps it beside the way, though it never asks for one
    an_answer = not as_story and heard.words <= _AN_ANSWER and heard.contact_word
    if an_answer and (time := ctx.understanding.options(heard.text, "contact_time").clear()) is not None:
        answers["contact_time"] = time
    return answers


def place_answers(heard: Meanings, ctx: FlowContext, *, off_work: bool = False) -> dict[str, Any]:
    """The region when one is clearly named (or implied by a kecamatan), and the kecamatan within it.

    `off_work`: not a place where someone works: counseling goes to the LK3 of where the family lives.
    """
    region = (heard.region_off_work if off_work else heard.region).clear()
    if region is None or region == OUTSIDE:
        return {}
    answers: dict[str, Any] = {"region": region}
    kecamatan = (heard.kecamatan_off_work if off_work else heard.kecamatan).clear()
    if kecamatan is not None and ctx.regions.kecamatan(kecamatan).region == region:
        answers["kecamatan"] = kecamatan
    return answers


def unanswered(answers: dict[str, Any], known: Any) -> dict[str, Any]:
    """Only the answers not given yet: a story never overwrites what the citizen already chose."""
    return {k: v for k, v in answers.items() if k not in known}
