""" "Maksud Anda ...?": two or three close meanings offered as buttons, and what each one fills.

Misrouting is worse than asking: when the understanding step finds meanings that explain a message
equally well, the citizen picks (or presses "Bukan, pilih sendiri" for the usual question).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.domain.pmks import group_of
from bot.flows.base import FlowContext
from bot.flows.state import Clarification
from bot.messages import Choice, Reply
from bot.understanding import OUTSIDE, Guesses, Meanings
from bot.understanding.meanings import MARGIN, MAX_OFFERED

PREFIX = "mean:"
#: The slots named by their own vocabulary; any other slot is an option question's answer, named by its buttons.
SLOTS = ("form", "category", "topic", "region", "kecamatan")
NONE = "mean:none"
#: A category or topic is taken from one word only in a message of up to five words; in a longer story it is asked.
STRONG = 1.5  # two words, or a word and a stopword of its phrase ("orang gila")
SHORT = 5
#: In a longer story a lead counts only when the runner-up explains less than half of what the leader does;
#: in a long one (a whole story: the writer's life, the neighbours, the past) less than a quarter, since
#: background details there are as worded as the point.
RIVAL_SHARE = 0.5
#: A whole story (the writer, the family, the past, then the point) names its category as one reading among
#: several: it is confirmed with a tap ("Maksud Anda: Lansia telantar?"), never routed unasked.
WHOLE_STORY = 12
#: A longer answer whose meanings explain less than a third of its words is confirmed, not taken.
THIN = 3
LONG = 20
RIVAL_SHARE_LONG = 0.25
#: A grown-up's and a child's category for the same harm: which one is the one hurt's age.
_ADULT_VICTIM, _CHILD_VICTIM = "korban_kekerasan", "anak_korban_kekerasan"


def settled(guesses: Guesses, heard: Meanings) -> str | None:
    """The category or topic to take without asking: clearly ahead, and not one word lost in a story.

    "pengemis" alone is settled; "kemarin di pasar ada yang minta-minta terus marah-marah ke pembeli"
    explains one word of seven, so the citizen is asked "Maksud Anda: Pengemis?" instead. In a story a
    lead is no lead when the runner-up has half as much: "tetangga sy mantan napi, skrg kerjanya mulung
    botol bekas keliling kampung" asks between ex-prisoner and scavenger rather than routing on one word more.
    A short answer with a runner-up is taken only when every word of it is explained: "istri kabur
    ninggalin anak2" (a teen's "kabur", and words no meaning accounts for) is confirmed, not routed.
    """
    code = guesses.clear()
    if code is None:
        return None
    if heard.words <= SHORT:
        if heard.people > 1 and heard.explained < heard.words:
            return None  # "ibu2 tua jualan keliling, anaknya gk ada yg ngurusin dia": whose is the neglect?
        return code if len(guesses.ranked) == 1 or heard.explained >= heard.words else None
    if heard.words >= WHOLE_STORY or heard.explained * THIN < heard.words:
        return None
    if len(rivals(guesses, heard)) > 1:
        return None
    return code if guesses.score_of(code) >= STRONG else None


def of_the_one_hurt(heard: Meanings) -> Guesses:
    """The story's categories that can be the one in danger's: "dipukulin suaminya, anak2nya nangis kenceng"
    is a grown-up hurt, so no child's category (the children are not the ones hurt); a small child left
    alone or thrown away is the one in danger whoever else the story names ("bayi ditemuin warga dibuang").
    An ill "anak" in a grown-up's danger is someone's grown son, ill: a disability all the same."""
    danger, categories = heard.danger, heard.category
    if danger is None or not danger.adult or danger.kind == "neglect":
        return categories
    # "keluarga yg anaknya odgj ngamuk2 bawa golok": an ill son who threatens grown-ups is ill all the same
    ill = categories.score_of("anak_disabilitas")
    grown = categories.without(*(c for c in categories.codes if c.startswith("anak_")))
    if not ill or danger.kind not in ("violence", "threat") or grown.score_of("penyandang_disabilitas") >= ill:
        return grown
    return grown.scored("penyandang_disabilitas", ill)


def as_answered(heard: Meanings) -> Guesses:
    """The categories a report's words can mean, at its category question or in a story that opens it: the
    one in danger's, and a child hurt is a child victim, never a grown-up's ("sy sering dipukul bapak sy
    pake sabuk": a parent hits the writer), as a first message's cry for help is routed
    (menu_text._urgent_form), unless the child may be grown up ("adik sy"): then both are offered."""
    danger, categories = heard.danger, of_the_one_hurt(heard)
    if danger is None or not danger.child or danger.adult or danger.kind not in ("violence", "sexual"):
        return categories
    grown_up, child = categories.score_of(_ADULT_VICTIM), categories.score_of(_CHILD_VICTIM)
    if not (grown_up or child):
        return categories
    both = max(grown_up, child)
    if not danger.maybe_grown:
        # "anak kecil disuruh ibunya ngemis, ... dipukulin": the street child's story leads, but the child is
        # hurt, which P2TP2A answers: the child victim's category stays within reach, so it is offered
        both = max(both, categories.ranked[0].score - MARGIN / 2)
    # "adik sy dipukulin pacarnya": a younger sibling may be grown up, so both are offered (the child's first)
    grown = categories.scored(_ADULT_VICTIM, both) if danger.maybe_grown else categories.without(_ADULT_VICTIM)
    return grown.scored(_CHILD_VICTIM, both)


def rivals(guesses: Guesses, heard: Meanings) -> tuple[str, ...]:
    """The leader and the meanings (at most three in all) that explain enough beside it to be asked about."""
    if not guesses:
        return ()
    share = RIVAL_SHARE_LONG if heard.words >= LONG else RIVAL_SHARE
    top = guesses.ranked[0].score
    return tuple(g.code for g in guesses.ranked[:MAX_OFFERED] if g.score >= share * top)


def offer(slot: str, guesses: Guesses, heard: Meanings, said: str | None = None) -> Clarification | None:
    """What to ask: two or three close meanings, or one that is ahead but on thin evidence; else None."""
    close = guesses.close()
    if not close and slot in ("category", "topic") and guesses.clear() and settled(guesses, heard) is None:
        close = rivals(guesses, heard)
    return Clarification(slot, close, heard.text if said is None else said) if close else None


def offer_place(heard: Meanings) -> Clarification | None:
    """What to ask of a place: which kecamatan of a name in two regions ("pasar curug"), else which region."""
    if kecamatan := heard.kecamatan.close():
        return Clarification("kecamatan", kecamatan, heard.text)
    return offer("region", heard.region, heard, heard.outside.title())


def clarify_reply(clarification: Clarification, ctx: FlowContext, labels: Mapping[str, str] | None = None) -> Reply:
    """The question and a button per option; `labels` names the options of a question's own buttons."""
    choices = tuple(
        Choice(f"{PREFIX}{code}", (labels or {}).get(code) or label_of(clarification.slot, code, ctx))
        for code in clarification.options
    )
    return Reply(_question(clarification, ctx), (*choices, Choice(NONE, ctx.t("common.mean_none"))))


def picked(choice: str, clarification: Clarification) -> str | None:
    """The option pressed (or typed as its number or label elsewhere), if it is one of those offered."""
    code = choice.removeprefix(PREFIX)
    return code if choice.startswith(PREFIX) and code in clarification.options else None


def answers_for(slot: str, code: str, ctx: FlowContext) -> dict[str, Any]:
    """What picking `code` fills in a form; a kecamatan fills its region too."""
    if slot == "category":
        return {"category": code, "group": group_of(code)}
    if slot == "kecamatan":
        return {"region": ctx.regions.kecamatan(code).region, "kecamatan": code}
    return {slot: code}


def label_of(slot: str, code: str, ctx: FlowContext) -> str:
    if slot == "form":
        return ctx.t({"report": "menu.report", "counseling": "menu.counseling", "status": "menu.status_sent"}[code])
    if slot == "category":
        return ctx.t(f"pmks.{code}")
    if slot == "topic":
        return ctx.t(f"topic.{code}")
    if slot == "region":
        return ctx.t("common.outside_banten_option") if code == OUTSIDE else ctx.regions.region(code).name
    kecamatan = ctx.regions.kecamatan(code)
    return ctx.t(
        "common.kecamatan_in_region", kecamatan=kecamatan.name, region=ctx.regions.region(kecamatan.region).name
    )


def _question(clarification: Clarification, ctx: FlowContext) -> str:
    if clarification.slot == "form":
        return ctx.t("menu.status_or_report" if "status" in clarification.options else "menu.which_form")
    if clarification.slot == "region" and _kota_or_kabupaten(clarification.options):
        name = ctx.regions.region(clarification.options[0]).name.split(" ", 1)[1]
        return ctx.t("common.region_kind", name=name)
    if len(clarification.options) == 1:
        return ctx.t("common.mean_one", what=label_of(clarification.slot, clarification.options[0], ctx))
    regions = (
        {ctx.regions.kecamatan(code).region for code in clarification.options}
        if clarification.slot == "kecamatan"
        else set()
    )
    if len(regions) == 1:  # "pasar baros ..., rumahnya di petir": which of the two kecamatan of the region
        return ctx.t("common.ask_kecamatan", region=ctx.regions.region(regions.pop()).name)
    return ctx.t("common.mean_question")


def _kota_or_kabupaten(options: Sequence[str]) -> bool:
    """ "serang" alone: Kota Serang and Kabupaten Serang, nothing else."""
    names = {code.split("-", 1)[1] for code in options if code != OUTSIDE}
    return len(options) == 2 and len(names) == 1 and OUTSIDE not in options
