"""Ask for family counseling (LK3, or UPTD PPA for domestic violence): topic, region, how to reach."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.domain.contact_times import SAFE_NOW
from bot.domain.pmks import COUNSELING_TOPICS, UNCLASSIFIED
from bot.domain.text import MAX_FREE_TEXT
from bot.flows import clarify
from bot.flows.base import FlowContext
from bot.flows.form import Accepted, Ask, FormFlow, Outcome, Step, not_understood
from bot.flows.state import FormState
from bot.flows.steps import (
    consent_step,
    free_text_step,
    not_picked,
    option_step,
    phone_step,
    region_step,
    typed_choice,
)
from bot.flows.story import COUNSELING, answers_from
from bot.flows.summary import region_line
from bot.messages import Choice, Inbound, Reply

CONTACT_TIMES: tuple[str, ...] = ("morning", "afternoon", "evening", "anytime")


def _topic_choices(_form: FormState, ctx: FlowContext) -> list[Choice]:
    return [Choice(f"topic:{t}", ctx.t(f"topic.{t}")) for t in COUNSELING_TOPICS]


def _topic_prompt(form: FormState, ctx: FlowContext) -> Reply:
    return Reply(ctx.t("counseling.ask_topic"), tuple(_topic_choices(form, ctx)))


def _accept_topic(form: FormState, inbound: Inbound, ctx: FlowContext) -> Outcome:
    """A topic pressed, or said in words ("suami selingkuh", "kecanduan pinjol"); KDRT also shows SAPA 129."""
    picked = typed_choice(inbound, _topic_choices(form, ctx), ctx)
    heard = ctx.hear(inbound) if picked is None else None
    topic = picked.id.removeprefix("topic:") if picked else clarify.settled(heard.topic, heard) if heard else None
    if topic is not None:
        return Accepted({"topic": topic}, note_key="counseling.kdrt_sapa" if topic == "kdrt" else "")
    if heard is None:
        return not_picked(inbound)
    if asked := clarify.offer("topic", heard.topic, heard):
        return Ask(asked)
    return not_understood("common.pick_one")


def _topic_as_said(form: FormState, said: str, _ctx: FlowContext) -> Accepted:
    """Twice not understood: a counselor reads the words and sets the topic on the request page."""
    story = {} if form.answers.get("story") else {"story": said[:MAX_FREE_TEXT]}
    return Accepted({"topic": UNCLASSIFIED, **story}, note_key="counseling.topic_as_said")


def _whom_choices(_form: FormState, ctx: FlowContext) -> list[Choice]:
    return [Choice("whom:self", ctx.t("counseling.whom_self")), Choice("whom:family", ctx.t("counseling.whom_family"))]


def _way_choices(_form: FormState, ctx: FlowContext) -> list[Choice]:
    return [Choice("way:chat", ctx.t("counseling.way_chat")), Choice("way:phone", ctx.t("counseling.way_phone"))]


def _urgent(form: FormState, ctx: FlowContext) -> bool:
    """The request will be urgent: danger was said (bot/services/intake.py), or the routing file makes its
    topic urgent (domestic violence: someone may live with the person they fear)."""
    return form.danger or form.answers.get("topic") in ctx.urgent_topics


def _time_choices(form: FormState, ctx: FlowContext) -> list[Choice]:
    """The windows; an urgent form first offers "Sekarang aman" (SAFE_NOW: nothing waits for this request)."""
    times = (SAFE_NOW, *CONTACT_TIMES) if _urgent(form, ctx) else CONTACT_TIMES
    return [Choice(f"time:{t}", ctx.t(f"contact_time.{t}")) for t in times]


def _time_prompt(form: FormState, ctx: FlowContext) -> Reply:
    """An urgent form asks for a safe time outright: every message, urgent ones too, waits for it."""
    key = "counseling.ask_safe_time" if _urgent(form, ctx) else "counseling.ask_time"
    return Reply(ctx.t(key), tuple(_time_choices(form, ctx)))


_PERSONAL = ("contact_way", "phone", "contact_time", "story")


def _summary(answers: Mapping[str, Any], ctx: FlowContext) -> str:
    way = ctx.t(f"contact_way.{answers['contact_way']}")
    if answers["contact_way"] == "phone":
        way = f"{way}, {answers['phone']}"
    story = answers.get("story") or ctx.t("counseling.no_story")
    lines = [
        ctx.t("counseling.summary_title"),
        f"{ctx.t('counseling.field_topic')}: {ctx.t('topic.' + answers['topic'])}",
        f"{ctx.t('common.field_region')}: {region_line(answers, ctx)}",
        f"{ctx.t('counseling.field_whom')}: {ctx.t('counseling.summary_whom_' + answers['for_whom'])}",
        f"{ctx.t('counseling.field_way')}: {way}",
        f"{ctx.t('counseling.field_time')}: {ctx.t('contact_time.' + answers['contact_time'])}",
        f"{ctx.t('counseling.field_story')}: {story}",
    ]
    return "\n".join(lines)


REQUEST_COUNSELING = FormFlow(
    name="request_counseling",
    kind="counseling",
    steps=(
        Step("topic", _topic_prompt, _accept_topic, label_key="counseling.field_topic", take_as_is=_topic_as_said),
        region_step(label_key="common.field_region"),
        option_step(
            "for_whom",
            "counseling.ask_whom",
            _whom_choices,
            label_key="counseling.field_whom",
            typed=("for_whom", {"self": "whom:self", "family": "whom:family"}),
        ),
        option_step(
            "contact_way",
            "counseling.ask_way",
            _way_choices,
            label_key="counseling.field_way",
            typed=("contact_mode", {"chat": "way:chat", "phone": "way:phone"}),
        ),
        phone_step(label_key="common.field_phone", applies=lambda a: a.get("contact_way") == "phone"),
        replace(
            option_step(
                "contact_time",
                "counseling.ask_time",
                _time_choices,
                label_key="counseling.field_time",
                typed=("contact_time", {t: f"time:{t}" for t in (SAFE_NOW, *CONTACT_TIMES)}),
            ),
            prompt=_time_prompt,
        ),
        free_text_step("story", "counseling.ask_story", label_key="counseling.field_story", optional=True),
        # Counseling cannot happen without a way to reach the person: what would reach them (and the story)
        # leaves the draft at once; the way to be contacted is asked again, or the citizen types "batal".
        consent_step("consent.counseling", Accepted({}, removes=_PERSONAL, note_key="counseling.consent_required")),
    ),
    summary=_summary,
    from_story=lambda heard, ctx, as_story: answers_from(COUNSELING, heard, ctx, as_story=as_story),
    opening=("topic",),
)
