"""Step builders both citizen forms use: a choice, the region, the kecamatan, free text, a phone."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.domain.phone import normalize_phone
from bot.domain.regions import PROVINCE, Kecamatan
from bot.domain.text import MAX_FREE_TEXT, MIN_LETTERS, letter_count
from bot.flows import clarify
from bot.flows.base import FlowContext, match_choice
from bot.flows.form import Accepted, Ask, Outcome, Redisplay, Rejected, Step, not_understood
from bot.flows.state import Clarification, FormState
from bot.flows.story import place_answers
from bot.messages import Choice, Inbound, InboundKind, Reply
from bot.understanding import OUTSIDE, Guesses

KECAMATAN_PAGE = 6  # six names, "more", "back" and "don't know" stay within every channel's limits
UNKNOWN = "unknown"


def option_step(
    name: str,
    prompt_key: str,
    options: Callable[[FormState, FlowContext], Sequence[Choice]],
    *,
    label_key: str = "",
    edit_clears: tuple[str, ...] = (),
    applies: Callable[[Mapping[str, Any]], bool] | None = None,
    typed: tuple[str, Mapping[str, str]] | None = None,
    note_keys: Mapping[str, str] | None = None,
) -> Step:
    """A question answered by picking one option; the answer is the part of the id after ':'.

    `typed` = (vocabulary family, meaning -> choice id): what a typed answer means ("pagi", "lewat wa",
    "iya") when it is not an option's label. `note_keys`: said after an answer (KDRT -> SAPA 129).
    """

    def prompt(form: FormState, ctx: FlowContext) -> Reply:
        return Reply(ctx.t(prompt_key), tuple(options(form, ctx)))

    def accept(form: FormState, inbound: Inbound, ctx: FlowContext) -> Outcome:
        family, choice_of = typed or ("", {})
        offered = options(form, ctx)
        picked = typed_choice(inbound, offered, ctx, family, choice_of)
        if picked is None:
            close = close_choices(name, inbound, offered, ctx, family, choice_of or {})
            return Ask(close) if close is not None else not_picked(inbound)
        answer = picked.id.split(":", 1)[1]
        return Accepted({name: answer}, note_key=(note_keys or {}).get(answer, ""))

    if applies is None:
        return Step(name, prompt, accept, label_key=label_key, edit_clears=edit_clears)
    return Step(name, prompt, accept, applies=applies, label_key=label_key, edit_clears=edit_clears)


def typed_choice(
    inbound: Inbound,
    offered: Sequence[Choice],
    ctx: FlowContext,
    family: str = "",
    choice_of: Mapping[str, str] | None = None,
) -> Choice | None:
    """The option pressed or typed by label or number, else the one a typed answer means in `family`."""
    picked = match_choice(inbound, offered)
    if picked is not None or not family or inbound.kind is not InboundKind.TEXT:
        return picked
    meaning = ctx.understanding.options(inbound.text, family).clear()
    wanted = (choice_of or {}).get(meaning or "")
    return next((c for c in offered if c.id == wanted), None)


def close_choices(
    name: str, inbound: Inbound, offered: Sequence[Choice], ctx: FlowContext, family: str, choice_of: Mapping[str, str]
) -> Clarification | None:
    """Two or three options a typed answer fits equally, offered alone rather than the whole question again.

    "jangan ditelepon" at "may staff contact you?" rules out the phone only: chat or anonymous.
    """
    if not family or inbound.kind is not InboundKind.TEXT:
        return None
    ids = {choice.id for choice in offered}
    close = [choice_of[m] for m in ctx.understanding.options(inbound.text, family).close() if choice_of.get(m) in ids]
    answers = tuple(choice_id.split(":", 1)[1] for choice_id in close)
    return Clarification(name, answers, inbound.text) if len(answers) >= 2 else None


def not_picked(inbound: Inbound) -> Rejected:
    """A photo or a pin where a choice was asked is named as such; anything else was not understood."""
    key = wrong_kind_key(inbound, "common.pick_one")
    return not_understood(key) if key == "common.pick_one" else Rejected(key)


def wrong_kind_key(inbound: Inbound, default: str) -> str:
    """The re-prompt that names what went wrong: a photo, a pin or a voice note where text was asked."""
    return {
        InboundKind.PHOTO: "common.photo_not_here",
        InboundKind.LOCATION: "common.location_not_here",
        InboundKind.UNSUPPORTED: "common.unsupported",
    }.get(inbound.kind, default)


def region_step(*, label_key: str, edit_clears: tuple[str, ...] = ()) -> Step:
    """Kabupaten/kota: eight buttons plus "don't know", or a typed name, nickname or kecamatan.

    "tangsel", "kab tangerang", "rangkas" and "pamulang" (a kecamatan: it fills both) are taken;
    "serang" alone is asked about (Kota or Kabupaten); "jakarta barat" is named as outside Banten.
    """

    def choices(_form: FormState, ctx: FlowContext) -> list[Choice]:
        regions = [Choice(f"reg:{r.code}", r.name) for r in ctx.regions.regions]
        return [*regions, Choice(f"reg:{UNKNOWN}", ctx.t("common.dont_know"))]

    def prompt(form: FormState, ctx: FlowContext) -> Reply:
        return Reply(ctx.t("common.ask_region"), tuple(choices(form, ctx)))

    def accept(form: FormState, inbound: Inbound, ctx: FlowContext) -> Outcome:
        picked = match_choice(inbound, choices(form, ctx), typos=False)
        if picked is not None:
            return Accepted({"region": picked.id.removeprefix("reg:")})
        heard = ctx.hear(inbound, answering_where=True)
        if heard is None:
            return Rejected(wrong_kind_key(inbound, "common.region_unknown"))
        if heard.region.clear() == OUTSIDE:
            return Rejected("common.outside_banten", {"place": heard.outside.title()})
        if answers := place_answers(heard, ctx):
            return Accepted(answers)
        if asked := clarify.offer_place(heard):  # "curug": a kecamatan in two regions; "serang": which one
            return Ask(asked)
        return not_understood("common.region_unknown")

    def take_as_is(_form: FormState, said: str, _ctx: FlowContext) -> Accepted:
        return Accepted({"region": UNKNOWN, "region_said": said[:MAX_FREE_TEXT]}, note_key="common.place_taken_as_said")

    return Step(
        "region",
        prompt,
        accept,
        label_key=label_key,
        edit_clears=(*edit_clears, "region_said"),
        take_as_is=take_as_is,
        asks_where=True,
    )


def kecamatan_step(*, label_key: str) -> Step:
    """Kecamatan of the chosen region: pages of six buttons, or a typed name matched tolerantly.

    A kecamatan typed that lies in another region ("cipocok" after Kabupaten Serang) is offered with its
    region, so a citizen who picked the wrong kabupaten/kota can say where they meant.
    """

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
        picked = match_choice(inbound, choices(form, ctx), typos=False)
        if picked is not None and picked.id.startswith("kecpage:"):
            page = int(form.scratch.get("page", 0)) + (1 if picked.id == "kecpage:next" else -1)
            return Redisplay({**form.scratch, "page": max(page, 0)})
        if picked is not None:
            return Accepted({"kecamatan": picked.id.removeprefix("kec:")})
        if inbound.kind is not InboundKind.TEXT:
            return not_picked(inbound)
        region = form.answers["region"]
        heard = ctx.hear(inbound, answering_where=True)
        named = heard.kecamatan if heard else Guesses()
        here = Guesses(tuple(g for g in named.ranked if ctx.regions.kecamatan(g.code).region == region))
        if (one := here.clear()) is not None:  # "daerah ciomas, deket pasar"; "pondok cabe" is Pamulang's
            return Accepted({"kecamatan": one})
        found = ctx.regions.match_kecamatan(region, inbound.text)  # names alone, spelled nearly right
        if len(found) == 1:
            return Accepted({"kecamatan": found[0].code})
        if found:
            return Redisplay({"candidates": [k.code for k in found]})
        if here.close():
            return Redisplay({"candidates": list(here.close())})
        elsewhere = _kecamatan_elsewhere(named, region, ctx)
        if elsewhere:
            return Ask(Clarification("kecamatan", elsewhere, inbound.text))
        return not_understood("common.kecamatan_unknown")

    def take_as_is(_form: FormState, said: str, _ctx: FlowContext) -> Accepted:
        return Accepted(
            {"kecamatan": UNKNOWN, "region_said": said[:MAX_FREE_TEXT]}, note_key="common.place_taken_as_said"
        )

    def applies(answers: Mapping[str, Any]) -> bool:
        return answers.get("region") not in (None, UNKNOWN, PROVINCE)

    return Step(
        "kecamatan",
        prompt,
        accept,
        applies=applies,
        label_key=label_key,
        edit_clears=("region_said",),
        take_as_is=take_as_is,
        asks_where=True,
    )


def _kecamatan_elsewhere(guesses: Guesses, region: str, ctx: FlowContext) -> tuple[str, ...]:
    """Kecamatan named in another region than the one chosen, best first (at most three)."""
    other = Guesses(tuple(g for g in guesses.ranked if ctx.regions.kecamatan(g.code).region != region))
    if not other:
        return ()
    clear = other.clear()
    return (clear,) if clear else other.close()


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


def phone_step(*, label_key: str, applies: Callable[[Mapping[str, Any]], bool]) -> Step:
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


def consent_step(question_key: str, declined: Accepted) -> Step:
    """The last question of a form: may the service keep what reaches the citizen (UU PDP, issue 16).

    "Ya" keeps it (`consent` True); `declined` is what a "no" does to the form: a report goes on
    anonymously, a counseling request asks for a way to be reached again.
    """

    def prompt(_form: FormState, ctx: FlowContext) -> Reply:
        choices = (Choice("consent:yes", ctx.t("consent.agree")), Choice("consent:no", ctx.t("consent.decline")))
        return Reply(ctx.t(question_key), choices)

    def accept(form: FormState, inbound: Inbound, ctx: FlowContext) -> Outcome:
        picked = typed_choice(inbound, prompt(form, ctx).choices, ctx, "answer", _CONSENT_WORDS)
        if picked is None:
            return not_picked(inbound)
        return Accepted({"consent": True}) if picked.id == "consent:yes" else declined

    return Step("consent", prompt, accept)


_CONSENT_WORDS = {"yes": "consent:yes", "no": "consent:no"}
