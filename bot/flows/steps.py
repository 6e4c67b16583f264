"""Step builders both citizen forms use: a choice, the region, the kecamatan, free text, a phone."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.domain.phone import normalize_phone
from bot.domain.regions import PROVINCE, Kecamatan
from bot.domain.text import MAX_FREE_TEXT, MIN_LETTERS, letter_count
from bot.flows.base import FlowContext, match_choice
from bot.flows.form import Accepted, Outcome, Redisplay, Rejected, Step
from bot.flows.state import FormState
from bot.messages import Choice, Inbound, InboundKind, Reply

KECAMATAN_PAGE = 6  # six names, "more", "back" and "don't know" stay within every channel's limits
UNKNOWN = "unknown"


def option_step(
    name: str,
    prompt_key: str,
    options: Callable[[FormState, FlowContext], Sequence[Choice]],
    *,
    label_key: str = "",
    edit_clears: tuple[str, ...] = (),
    applies: Callable | None = None,
) -> Step:
    """A question answered by picking one option; the answer is the part of the id after ':'."""

    def prompt(form: FormState, ctx: FlowContext) -> Reply:
        return Reply(ctx.t(prompt_key), tuple(options(form, ctx)))

    def accept(form: FormState, inbound: Inbound, ctx: FlowContext) -> Outcome:
        picked = match_choice(inbound, options(form, ctx))
        if picked is None:
            return Rejected(wrong_kind_key(inbound, "common.pick_one"))
        return Accepted({name: picked.id.split(":", 1)[1]})

    extra = {"applies": applies} if applies else {}
    return Step(name, prompt, accept, label_key=label_key, edit_clears=edit_clears, **extra)


def wrong_kind_key(inbound: Inbound, default: str) -> str:
    """The re-prompt that names what went wrong: a photo, a pin or a voice note where text was asked."""
    return {
        InboundKind.PHOTO: "common.photo_not_here",
        InboundKind.LOCATION: "common.location_not_here",
        InboundKind.UNSUPPORTED: "common.unsupported",
    }.get(inbound.kind, default)


def region_step(*, label_key: str, edit_clears: tuple[str, ...] = ()) -> Step:
    """Kabupaten/kota: eight buttons plus "don't know", or a typed name ("tangsel", "kab serang")."""

    def choices(_form: FormState, ctx: FlowContext) -> list[Choice]:
        regions = [Choice(f"reg:{r.code}", r.name) for r in ctx.regions.regions]
        return [*regions, Choice(f"reg:{UNKNOWN}", ctx.t("common.dont_know"))]

    def prompt(form: FormState, ctx: FlowContext) -> Reply:
        return Reply(ctx.t("common.ask_region"), tuple(choices(form, ctx)))

    def accept(form: FormState, inbound: Inbound, ctx: FlowContext) -> Outcome:
        picked = match_choice(inbound, choices(form, ctx))
        if picked is not None:
            return Accepted({"region": picked.id.removeprefix("reg:")})
        if inbound.kind is InboundKind.TEXT:
            region = ctx.regions.match_region(inbound.text)
            if region is not None:
                return Accepted({"region": region.code})
        return Rejected(wrong_kind_key(inbound, "common.region_unknown"))

    return Step("region", prompt, accept, label_key=label_key, edit_clears=edit_clears)


def kecamatan_step(*, label_key: str) -> Step:
    """Kecamatan of the chosen region: pages of six buttons, or a typed name matched tolerantly."""

    def candidates(form: FormState, ctx: FlowContext) -> list[Kecamatan]:
        codes = form.scratch.get("candidates")
        if codes:
            return [ctx.regions.kecamatan(code) for code in codes]
        return list(ctx.regions.region(form.answers["region"]).kecamatan)

    def choices(form: FormState, ctx: FlowContext) -> list[Choice]:
        every = candidates(form, ctx)
        page = int(form.scratch.get("page", 0))
        shown = every[page * KECAMATAN_PAGE : (page + 1) * KECAMATAN_PAGE]
        result = [Choice(f"kec:{k.code}", k.name) for k in shown]
        if (page + 1) * KECAMATAN_PAGE < len(every):
            result.append(Choice("kecpage:next", ctx.t("common.more")))
        if page > 0:
            result.append(Choice("kecpage:prev", ctx.t("common.back")))
        result.append(Choice(f"kec:{UNKNOWN}", ctx.t("common.dont_know")))
        return result

    def prompt(form: FormState, ctx: FlowContext) -> Reply:
        key = "common.ask_kecamatan_candidates" if form.scratch.get("candidates") else "common.ask_kecamatan"
        region = ctx.regions.region(form.answers["region"]).name
        return Reply(ctx.t(key, region=region), tuple(choices(form, ctx)))

    def accept(form: FormState, inbound: Inbound, ctx: FlowContext) -> Outcome:
        picked = match_choice(inbound, choices(form, ctx))
        if picked is not None and picked.id.startswith("kecpage:"):
            page = int(form.scratch.get("page", 0)) + (1 if picked.id == "kecpage:next" else -1)
            return Redisplay({**form.scratch, "page": max(page, 0)})
        if picked is not None:
            return Accepted({"kecamatan": picked.id.removeprefix("kec:")})
        if inbound.kind is not InboundKind.TEXT:
            return Rejected(wrong_kind_key(inbound, "common.pick_one"))
        found = ctx.regions.match_kecamatan(form.answers["region"], inbound.text)
        if len(found) == 1:
            return Accepted({"kecamatan": found[0].code})
        if found:
            return Redisplay({"candidates": [k.code for k in found]})
        return Rejected("common.kecamatan_unknown")

    def applies(answers: dict) -> bool:
        return answers.get("region") not in (None, UNKNOWN, PROVINCE)

    return Step("kecamatan", prompt, accept, applies=applies, label_key=label_key)


def free_text_step(
    name: str, prompt_key: str, *, label_key: str, optional: bool = False, skip_label_key: str = ""
) -> Step:
    """Free text with at least a few letters (not only emoji) and at most MAX_FREE_TEXT characters."""

    def prompt(_form: FormState, ctx: FlowContext) -> Reply:
        skip = (Choice("skip", ctx.t(skip_label_key or "common.skip")),) if optional else ()
        return Reply(ctx.t(prompt_key), skip)

    def accept(form: FormState, inbound: Inbound, ctx: FlowContext) -> Outcome:
        if optional and match_choice(inbound, prompt(form, ctx).choices) is not None:
            return Accepted({name: ""})
        return accept_text(name, inbound)

    return Step(name, prompt, accept, label_key=label_key)


def accept_text(name: str, inbound: Inbound) -> Outcome:
    """Shared checks for a typed answer: kind, emptiness, only emoji, a paste that is too long."""
    if inbound.kind is not InboundKind.TEXT:
        return Rejected(wrong_kind_key(inbound, "common.text_expected"))
    text = inbound.text.strip()
    if not text:
        return Rejected("common.empty_text")
    if len(text) > MAX_FREE_TEXT:
        return Rejected("common.text_too_long", {"limit": MAX_FREE_TEXT, "length": len(text)})
    if letter_count(text) < MIN_LETTERS:
        return Rejected("common.text_too_short")
    return Accepted({name: text})


def phone_step(*, label_key: str, applies: Callable) -> Step:
    """An Indonesian phone number, 08... or +62..., stored as +62..."""

    def prompt(_form: FormState, ctx: FlowContext) -> Reply:
        return Reply(ctx.t("common.ask_phone"))

    def accept(_form: FormState, inbound: Inbound, _ctx: FlowContext) -> Outcome:
        if inbound.kind is not InboundKind.TEXT:
            return Rejected(wrong_kind_key(inbound, "common.phone_invalid"))
        phone = normalize_phone(inbound.text)
        if phone is None:
            return Rejected("common.phone_invalid")
        return Accepted({"phone": phone})

    return Step("phone", prompt, accept, applies=applies, label_key=label_key)
