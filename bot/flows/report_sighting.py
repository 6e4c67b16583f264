"""Report a PMKS sighting: what was seen, where, and how (or whether) we may reach the reporter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.photos import MAX_PHOTO_MB, MAX_PHOTOS
from bot.domain.pmks import PMKS_GROUPS, UNCLASSIFIED, group_of
from bot.domain.regions import in_banten
from bot.domain.text import MAX_FREE_TEXT
from bot.flows import clarify
from bot.flows.base import FlowContext, match_choice
from bot.flows.form import Accepted, Ask, FormFlow, Outcome, Redisplay, Rejected, Step, not_understood
from bot.flows.state import FormState
from bot.flows.steps import (
    accept_text,
    consent_step,
    free_text_step,
    kecamatan_step,
    not_picked,
    option_step,
    phone_step,
    region_step,
    typed_choice,
    wrong_kind_key,
)
from bot.flows.story import SIGHTING, answers_from
from bot.flows.summary import photos_line, place_line, region_line
from bot.messages import Choice, Inbound, InboundKind, PhotoProblem, Reply


def _group_choices(_form: FormState, ctx: FlowContext) -> list[Choice]:
    return [Choice(f"grp:{g}", ctx.t(f"pmks_group.{g}")) for g in PMKS_GROUPS]


def _accept_group(form: FormState, inbound: Inbound, ctx: FlowContext) -> Outcome:
    picked = match_choice(inbound, _group_choices(form, ctx))
    if picked is not None:
        return Accepted({"group": picked.id.removeprefix("grp:")})
    return _category_in_words(inbound, ctx)


def _category_choices(form: FormState, ctx: FlowContext) -> list[Choice]:
    codes = PMKS_GROUPS[form.answers["group"]]
    return [*(Choice(f"cat:{c}", ctx.t(f"pmks.{c}")) for c in codes), Choice("cat:back", ctx.t("common.back"))]


def _accept_category(form: FormState, inbound: Inbound, ctx: FlowContext) -> Outcome:
    picked = match_choice(inbound, _category_choices(form, ctx))
    if picked is None:
        return _category_in_words(inbound, ctx)
    if picked.id == "cat:back":
        return Accepted({}, removes=("group",))
    return Accepted({"category": picked.id.removeprefix("cat:")})


def _category_in_words(inbound: Inbound, ctx: FlowContext) -> Outcome:
    """ "anjal", "orang gila", "ada anak kecil ngemis di lampu merah": the category they state."""
    heard = ctx.hear(inbound)
    if heard is None:
        return not_picked(inbound)
    categories = clarify.as_answered(heard)
    category = clarify.settled(categories, heard)
    if category is not None:
        return Accepted({"group": group_of(category), "category": category})
    if asked := clarify.offer("category", categories, heard):
        return Ask(asked)
    return not_understood("common.pick_one")


def _category_as_said(form: FormState, said: str, _ctx: FlowContext) -> Accepted:
    """Twice not understood: staff read the words and set the category on the request page."""
    story = {} if form.answers.get("description") else {"description": said[:MAX_FREE_TEXT]}
    return Accepted({"group": UNCLASSIFIED, "category": UNCLASSIFIED, **story}, note_key="sighting.category_as_said")


def _place_prompt(_form: FormState, ctx: FlowContext) -> Reply:
    return Reply(ctx.t("sighting.ask_place"), request_location=True)


def _accept_place(_form: FormState, inbound: Inbound, _ctx: FlowContext) -> Outcome:
    if inbound.kind is InboundKind.LOCATION and inbound.location is not None:
        pin = inbound.location
        if not in_banten(pin.latitude, pin.longitude):
            return Rejected("sighting.place_outside_banten")
        return Accepted({"place": {"latitude": pin.latitude, "longitude": pin.longitude}})
    outcome = accept_text("landmark", inbound)
    if isinstance(outcome, Accepted):
        return Accepted({"place": {"landmark": outcome.answers["landmark"]}})
    return outcome


def _photo_prompt(_form: FormState, ctx: FlowContext) -> Reply:
    return Reply(
        ctx.t("sighting.ask_photo", max=MAX_PHOTOS), (Choice("skip", ctx.t("sighting.no_photo")),), request_photo=True
    )


def _accept_photo(form: FormState, inbound: Inbound, ctx: FlowContext) -> Outcome:
    if inbound.kind is InboundKind.PHOTO:
        return _photo_taken(form, inbound)
    if match_choice(inbound, _photo_prompt(form, ctx).choices) is not None:
        return Accepted({"photos": []})
    if inbound.kind is InboundKind.TEXT and ctx.understanding.options(inbound.text, "answer").clear() == "no":
        return Accepted({"photos": []})  # "tidak ada", "gak punya"
    return Rejected(wrong_kind_key(inbound, "sighting.photo_expected"))


def _more_photos_prompt(form: FormState, ctx: FlowContext) -> Reply:
    """After a photo: another, or go on. Pressing "another" only asks for it (the photo is what answers)."""
    done = Choice("photo:done", ctx.t("sighting.photo_done"))
    if form.scratch.get("another"):
        return Reply(ctx.t("sighting.photo_send_next"), (done,), request_photo=True)
    count = len(form.answers.get("photos") or ())
    text = ctx.t("sighting.photo_received", count=count, max=MAX_PHOTOS)
    return Reply(text, (Choice("photo:another", ctx.t("sighting.photo_another")), done), request_photo=True)


def _accept_more_photos(form: FormState, inbound: Inbound, ctx: FlowContext) -> Outcome:
    if inbound.kind is InboundKind.PHOTO:
        return _photo_taken(form, inbound)
    offered = _more_photos_prompt(form, ctx).choices
    # "udah", "cukup", "itu aja" are no more photos here; then "ya" is another, "gak", "nanti" none
    picked = typed_choice(inbound, offered, ctx, "more_photos", _MORE_PHOTOS_WORDS) or typed_choice(
        inbound, offered, ctx, "answer", _MORE_PHOTOS_WORDS
    )
    if picked is None:
        return Rejected(wrong_kind_key(inbound, "sighting.photo_more_expected"))
    return Accepted({"more_photos": "done"}) if picked.id == "photo:done" else Redisplay({"another": True})


_MORE_PHOTOS_WORDS = {"another": "photo:another", "yes": "photo:another", "done": "photo:done", "no": "photo:done"}


def _photo_taken(form: FormState, inbound: Inbound) -> Outcome:
    """A stored photo is added; a refused one is named (re-asked, every answer kept)."""
    if inbound.photo_problem is not None or not inbound.photo_ref:
        problem = inbound.photo_problem or PhotoProblem.UNAVAILABLE
        return Rejected(f"sighting.photo_refused_{problem.value}", {"max_mb": MAX_PHOTO_MB})
    photos = [*(form.answers.get("photos") or ()), inbound.photo_ref]
    return Accepted({"photos": photos}, note_key="sighting.photo_limit" if len(photos) >= MAX_PHOTOS else "")


def _wants_more_photos(answers: Mapping[str, Any]) -> bool:
    return 0 < len(answers.get("photos") or ()) < MAX_PHOTOS


def _contact_choices(_form: FormState, ctx: FlowContext) -> list[Choice]:
    return [
        Choice("contact:anonymous", ctx.t("sighting.contact_anonymous")),
        Choice("contact:chat", ctx.t("sighting.contact_chat")),
        Choice("contact:phone", ctx.t("sighting.contact_phone")),
    ]


def _summary(answers: Mapping[str, Any], ctx: FlowContext) -> str:
    lines = [
        ctx.t("sighting.summary_title"),
        f"{ctx.t('sighting.field_category')}: {ctx.t('pmks.' + answers['category'])}",
        f"{ctx.t('common.field_region')}: {region_line(answers, ctx)}",
        f"{ctx.t('sighting.field_place')}: {place_line(answers['place'], ctx)}",
        f"{ctx.t('sighting.field_description')}: {answers['description']}",
        f"{ctx.t('sighting.field_photo')}: {photos_line(len(answers.get('photos') or []), ctx.t)}",
        f"{ctx.t('sighting.field_contact')}: {_contact_line(answers, ctx)}",
    ]
    return "\n".join(lines)


def _contact_line(answers: Mapping[str, Any], ctx: FlowContext) -> str:
    """ "lewat chat ini", "lewat telepon, 0812 ...", or that nobody will contact an anonymous reporter."""
    mode = answers["contact_mode"]
    if mode == "anonymous":
        return ctx.t("contact_way.anonymous")
    parts = [ctx.t(f"contact_way.{mode}"), *([answers["phone"]] if mode == "phone" else [])]
    if time := answers.get("contact_time"):  # said unasked: "telp aja abis jam 4 sore"
        parts.append(ctx.t(f"contact_time.{time}"))
    return ", ".join(parts)


REPORT_SIGHTING = FormFlow(
    name="report_sighting",
    kind="sighting",
    steps=(
        Step(
            "group",
            lambda f, c: Reply(c.t("sighting.ask_group"), tuple(_group_choices(f, c))),
            _accept_group,
            take_as_is=_category_as_said,
        ),
        Step(
            "category",
            lambda f, c: Reply(c.t("sighting.ask_category"), tuple(_category_choices(f, c))),
            _accept_category,
            label_key="sighting.field_category",
            edit_clears=("group",),
            take_as_is=_category_as_said,
        ),
        region_step(label_key="common.field_region", edit_clears=("kecamatan",)),
        kecamatan_step(label_key="common.field_kecamatan"),
        Step("place", _place_prompt, _accept_place, label_key="sighting.field_place"),
        free_text_step("description", "sighting.ask_description", label_key="sighting.field_description"),
        Step("photos", _photo_prompt, _accept_photo, label_key="sighting.field_photo", edit_clears=("more_photos",)),
        Step("more_photos", _more_photos_prompt, _accept_more_photos, applies=_wants_more_photos),
        option_step(
            "contact_mode",
            "sighting.ask_contact",
            _contact_choices,
            label_key="sighting.field_contact",
            edit_clears=("contact_time",),  # a new answer says its own time, or none
            typed=("contact_mode", {m: f"contact:{m}" for m in ("anonymous", "chat", "phone")}),
        ),
        phone_step(label_key="common.field_phone", applies=lambda a: a.get("contact_mode") == "phone"),
        # Declining still lets the citizen report: the report goes without any way to reach them.
        consent_step(
            "consent.sighting",
            Accepted(
                {"consent": False, "contact_mode": "anonymous"},
                removes=("phone", "contact_time"),
                note_key="sighting.consent_declined",
            ),
        ),
    ),
    summary=_summary,
    from_story=lambda heard, ctx, as_story: answers_from(SIGHTING, heard, ctx, as_story=as_story),
    opening=("group", "category"),
    kept=("region_said", "contact_time"),  # when to call, if said beside the way (no step asks it)
    # Declined, then `Ubah` -> "Boleh, lewat telepon": the consent question comes again before anything is sent.
    void=lambda a: ("consent",) if a.get("consent") is False and a.get("contact_mode") in ("chat", "phone") else (),
)
