"""A form flow: ordered steps that each fill one answer, then a summary to send or change.

Steps are data (`Step`), so a flow file reads as its table of questions. The next step is always
the first one that applies and has no answer yet; changing an answer from the summary removes it
(and what depends on it), so the citizen is asked again and then lands back on the summary, with
every other answer kept. Every call returns a new `FormState`; none changes the one it was given.

Typed answers go through the understanding step: a story fills every answer it states, two close
meanings are asked about ("Maksud Anda ...?"), a greeting is answered warmly, and a second answer in a
row that is not understood is taken as the citizen wrote it where a step can (the category becomes
"belum ditentukan" for staff to set) or is met with plainer guidance, never a second "belum mengerti".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot.flows import clarify
from bot.flows.base import (
    STALE_CHOICE,
    FlowContext,
    Output,
    SubmitRequest,
    ask_again,
    is_stale_choice,
    match_choice,
    unmatched_key,
)
from bot.flows.corrections import correction_in
from bot.flows.state import EDIT, SUMMARY, Clarification, FormState
from bot.messages import Choice, Inbound, InboundKind, Reply
from bot.understanding import OUTSIDE, Meanings

#: Answers not understood in a row before a step takes the words as they are (or guides more plainly).
PATIENCE = 2


@dataclass(frozen=True, slots=True)
class Accepted:
    answers: Mapping[str, Any]
    removes: tuple[str, ...] = ()
    note_key: str = ""  # said before the next question, e.g. why consent was not needed


@dataclass(frozen=True, slots=True)
class Rejected:
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    understood: bool = True  # False: we did not understand the answer (counts towards PATIENCE)


@dataclass(frozen=True, slots=True)
class Redisplay:
    """Stay on the step with new scratch data, e.g. the next page of kecamatan."""

    scratch: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Ask:
    """Two or three close meanings: ask which, with buttons; `note_key` is said first."""

    clarification: Clarification
    note_key: str = ""
    note_params: Mapping[str, Any] = field(default_factory=dict)


Outcome = Accepted | Rejected | Redisplay | Ask


def not_understood(key: str) -> Rejected:
    return Rejected(key, understood=False)


def _always(_answers: Mapping[str, Any]) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Step:
    """One question. `name` is the answer key it fills; `edit_clears` is what changing it removes.

    `take_as_is` turns words not understood twice into an answer (the category "belum ditentukan",
    the region "unknown" with the words kept); steps without it guide by number instead.
    """

    name: str
    prompt: Callable[[FormState, FlowContext], Reply]
    accept: Callable[[FormState, Inbound, FlowContext], Outcome]
    applies: Callable[[Mapping[str, Any]], bool] = _always
    label_key: str = ""  # shown in the "what to change" list; empty when not offered there
    edit_clears: tuple[str, ...] = ()
    take_as_is: Callable[[FormState, str, FlowContext], Accepted] | None = None
    asks_where: bool = False  # answers name places: read them as places ("curug" alone counts)


@dataclass(frozen=True, slots=True)
class FormStep:
    """What one step of a form did: the form as it now stands (None once sent) and what to say."""

    form: FormState | None
    outputs: tuple[Output, ...] = ()


@dataclass(frozen=True, slots=True)
class FormFlow:
    """A form; `from_story` reads the answers a message states, `opening` names the steps whose text
    is kept as the story itself (the first question, where citizens tell what happened)."""

    name: str
    kind: str
    steps: tuple[Step, ...]
    summary: Callable[[Mapping[str, Any], FlowContext], str]
    from_story: Callable[[Meanings, FlowContext, bool], dict[str, Any]]
    opening: tuple[str, ...] = ()
    kept: tuple[str, ...] = ("region_said",)  # answers no step asks but the request keeps
    #: Answers that no longer hold after a change, whichever path made it (a step, "Maksud Anda", `Ubah`,
    #: a fix typed at the summary): e.g. a consent declined once a way to be contacted is chosen again.
    void: Callable[[Mapping[str, Any]], tuple[str, ...]] = lambda _answers: ()

    def start(
        self,
        ctx: FlowContext,
        answers: Mapping[str, Any] | None = None,
        *,
        danger: bool = False,
        before: tuple[Output, ...] = (),
    ) -> FormStep:
        """Begin the form, optionally with answers already known (a deep link's region, a story's)."""
        return self.advance(FormState(self.name, "", answers or {}, danger=danger), ctx, before)

    def prompt(self, form: FormState, ctx: FlowContext) -> Reply:
        """The current question again, for a resumed or interrupted conversation."""
        if form.clarify is not None:
            return self._clarify_reply(form, form.clarify, ctx)
        if form.step == SUMMARY:
            return self._summary_reply(form, ctx)
        if form.step == EDIT:
            return self._edit_reply(form, ctx)
        return self._step(form.step).prompt(form, ctx)

    def handle(self, form: FormState, inbound: Inbound, ctx: FlowContext) -> FormStep:
        if form.clarify is not None:
            return self._on_clarify(form, form.clarify, inbound, ctx)
        if form.step == SUMMARY:
            return self._on_summary(form, inbound, ctx)
        if form.step == EDIT:
            return self._on_edit(form, inbound, ctx)
        step = self._step(form.step)
        prompt = step.prompt(form, ctx)
        if is_stale_choice(inbound, prompt.choices):
            return reprompt(form, ctx, prompt, STALE_CHOICE)
        heard = ctx.hear(inbound, answering_where=step.asks_where)
        outcome = step.accept(form, inbound, ctx)
        if isinstance(outcome, Rejected) and heard is not None and heard.only_courtesy:
            # "makasih", "halo" between answers: no error, the question again. ("pagi" at the time question
            # is an answer, which is why the step is asked first.)
            return FormStep(
                form, (Reply(ctx.t("common.thanks_back" if heard.thanks else "common.greeting_back")), prompt)
            )
        if isinstance(outcome, Rejected) and not outcome.understood:
            if stated := self._stated_elsewhere(form, step, heard, ctx):  # "kab tangerang" at "who?": noted
                return self._noted(form.answered(stated), ctx)
            return self._missed(form, step, prompt, outcome, inbound, ctx)
        if isinstance(outcome, Rejected):
            return reprompt(form, ctx, prompt, outcome.key, outcome.params)
        if isinstance(outcome, Redisplay):
            shown = replace(form, scratch=outcome.scratch)
            return FormStep(shown, (step.prompt(shown, ctx),))
        if isinstance(outcome, Ask):
            stated = self._also_stated(form, step, Accepted({}), heard, ctx)
            return self.ask(replace(form, answers={**form.answers, **stated}), outcome, ctx)
        answers = {**outcome.answers, **self._also_stated(form, step, outcome, heard, ctx)}
        notes = (Reply(ctx.t(outcome.note_key)),) if outcome.note_key else ()
        return self.advance(form.answered(answers, outcome.removes), ctx, notes, heard)

    def ask(self, form: FormState, outcome: Ask, ctx: FlowContext, before: tuple[Output, ...] = ()) -> FormStep:
        """Show "Maksud Anda ...?" for the current step; the form waits on it."""
        asking = replace(form, clarify=outcome.clarification)
        note = (Reply(ctx.t(outcome.note_key, **outcome.note_params)),) if outcome.note_key else ()
        return FormStep(asking, (*before, *note, self._clarify_reply(asking, outcome.clarification, ctx)))

    def applicable_answers(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Only the answers of steps that apply: a phone typed before choosing "anonim" is dropped."""
        keep = {s.name for s in self.steps if s.applies(answers)} | set(self.kept)
        return {k: v for k, v in answers.items() if k in keep}

    def advance(
        self, form: FormState, ctx: FlowContext, before: tuple[Output, ...] = (), heard: Meanings | None = None
    ) -> FormStep:
        """Move to the first step that applies and has no answer yet, or to the summary, and ask it.

        When the message that got us here has close meanings for that question ("pengemis di serang"
        before "which region?"), the question is "Maksud Anda ...?" at once.
        """
        if void := self.void(form.answers):
            form = form.answered({}, removes=void)
        step = self._next_step(form.answers)
        moved = form.at(step.name if step else SUMMARY)
        asked = close_meaning_for(moved.step, heard, ctx, moved.answers) if heard is not None else None
        if asked is not None:
            return self.ask(moved, Ask(asked), ctx, before)
        return FormStep(moved, (*before, self.prompt(moved, ctx)))

    def current_step(self, form: FormState) -> Step | None:
        return next((s for s in self.steps if s.name == form.step), None)

    def _step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    def _next_step(self, answers: Mapping[str, Any]) -> Step | None:
        return next((s for s in self.steps if s.applies(answers) and s.name not in answers), None)

    def _stated_elsewhere(
        self, form: FormState, step: Step, heard: Meanings | None, ctx: FlowContext
    ) -> dict[str, Any]:
        """Answers to other questions in words that do not answer this one: kept, not lost."""
        if heard is None:
            return {}
        stated = self.from_story(heard, ctx, False)
        return {k: v for k, v in stated.items() if k not in form.answers and k != step.name}

    def _noted(self, form: FormState, ctx: FlowContext) -> FormStep:
        """ "Dicatat", and the question still open asked again (or what the form now needs)."""
        return self.advance(form, ctx, (Reply(ctx.t("common.noted")),))

    def _also_stated(
        self, form: FormState, step: Step, outcome: Accepted, heard: Meanings | None, ctx: FlowContext
    ) -> dict[str, Any]:
        """Answers to later questions that the same message states clearly, never overwriting one."""
        if heard is None:
            return {}
        stated = self.from_story(heard, ctx, step.name in self.opening)
        known = {*form.answers, *outcome.answers}
        extra = {k: v for k, v in stated.items() if k not in known and k not in outcome.removes and k != step.name}
        region = outcome.answers.get("region", form.answers.get("region", extra.get("region")))
        if "kecamatan" in extra and ctx.regions.kecamatan(extra["kecamatan"]).region != region:
            del extra["kecamatan"]
        return extra

    def _missed(
        self, form: FormState, step: Step, prompt: Reply, outcome: Rejected, inbound: Inbound, ctx: FlowContext
    ) -> FormStep:
        """Not understood: say so once; the second time, take the words or guide more plainly."""
        said = inbound.text.strip() if inbound.kind is InboundKind.TEXT else ""
        unheard = [*form.scratch.get("unheard", ()), *([said] if said else [])]
        missed = replace(form.missed(), scratch={**form.scratch, "unheard": unheard})
        if missed.misses < PATIENCE:
            return reprompt(missed, ctx, prompt, outcome.key, outcome.params)
        if step.take_as_is is not None and said:
            taken = step.take_as_is(form, "\n".join(unheard), ctx)
            notes = (Reply(ctx.t(taken.note_key)),) if taken.note_key else ()
            return self.advance(form.answered(taken.answers, taken.removes), ctx, notes)
        return reprompt(missed, ctx, prompt, "common.pick_by_number")

    def _on_clarify(self, form: FormState, asked: Clarification, inbound: Inbound, ctx: FlowContext) -> FormStep:
        reply = self._clarify_reply(form, asked, ctx)
        choice = match_choice(inbound, reply.choices)
        if choice is None and inbound.kind is InboundKind.TEXT:
            plain = replace(form, clarify=None)
            step = self._step(form.step)
            outcome = step.accept(plain, inbound, ctx)
            if isinstance(outcome, Rejected) and not outcome.understood:
                heard = ctx.hear(inbound, answering_where=step.asks_where)
                if stated := self._stated_elsewhere(form, step, heard, ctx):  # the options stay open
                    noted = replace(form.answered(stated), clarify=asked)
                    return FormStep(noted, (Reply(ctx.t("common.noted")), reply))
            return self.handle(plain, inbound, ctx)  # a new answer to the same question
        if choice is None:
            return reprompt(form, ctx, reply, unmatched_key(inbound, reply.choices))
        plain = replace(form, clarify=None)
        code = clarify.picked(choice.id, asked)
        if code is None:  # "Bukan, pilih sendiri": the usual question with every option
            return FormStep(plain, (self.prompt(plain, ctx),))
        if asked.slot == "region" and code == OUTSIDE:
            note = Reply(ctx.t("common.outside_banten", place=asked.said or ctx.t("common.outside_banten_option")))
            return FormStep(plain, (note, self.prompt(plain, ctx)))
        # "Maksud Anda: Pengemis?" asked of a story ("... ngemis di jembatan penyebrangan di tangerang"): the
        # story's close meanings for the next question stay offered (Kota or Kabupaten Tangerang?)
        story = ctx.understanding.read(asked.said) if asked.said and asked.slot in ("category", "topic") else None
        return self.advance(plain.answered(clarify.answers_for(asked.slot, code, ctx)), ctx, heard=story)

    def _clarify_reply(self, form: FormState, asked: Clarification, ctx: FlowContext) -> Reply:
        """ "Maksud Anda ...?"; the close options of an option question keep the labels of its buttons."""
        if asked.slot in clarify.SLOTS or form.step in (SUMMARY, EDIT):
            return clarify.clarify_reply(asked, ctx)
        buttons = self._step(form.step).prompt(replace(form, clarify=None), ctx).choices
        return clarify.clarify_reply(asked, ctx, {c.id.split(":", 1)[-1]: c.label for c in buttons})

    def _summary_reply(self, form: FormState, ctx: FlowContext) -> Reply:
        text = self.summary(self.applicable_answers(form.answers), ctx)
        return Reply(
            f"{text}\n\n{ctx.t('form.summary_question')}",
            (Choice("confirm:send", ctx.t("form.send")), Choice("confirm:edit", ctx.t("form.edit"))),
        )

    def _on_summary(self, form: FormState, inbound: Inbound, ctx: FlowContext) -> FormStep:
        if inbound.kind is InboundKind.TEXT and (fix := correction_in(form.answers, inbound.text, ctx)):
            # "bukan cikupa tp cisoka": changed at once, and the summary (or the question it reopens) again
            return self.advance(form.answered(fix.changes, fix.removes), ctx, (Reply(ctx.t("form.corrected")),))
        prompt = self._summary_reply(form, ctx)
        picked = match_choice(inbound, prompt.choices) or _typed_yes_no(inbound, prompt, ctx)
        if picked is None:
            return self._missed(
                form, _SUMMARY_STEP, prompt, not_understood(unmatched_key(inbound, prompt.choices)), inbound, ctx
            )
        if picked.id == "confirm:edit":
            editing = form.at(EDIT)
            return FormStep(editing, (self._edit_reply(editing, ctx),))
        answers = self.applicable_answers(form.answers)
        return FormStep(None, (SubmitRequest(self.kind, answers, danger=form.danger),))

    def _editable(self, answers: Mapping[str, Any]) -> list[Step]:
        return [s for s in self.steps if s.label_key and s.applies(answers)]

    def _edit_reply(self, form: FormState, ctx: FlowContext) -> Reply:
        choices = tuple(Choice(f"edit:{s.name}", ctx.t(s.label_key)) for s in self._editable(form.answers))
        return Reply(ctx.t("form.edit_which"), (*choices, Choice("edit:none", ctx.t("form.edit_none"))))

    def _on_edit(self, form: FormState, inbound: Inbound, ctx: FlowContext) -> FormStep:
        prompt = self._edit_reply(form, ctx)
        picked = match_choice(inbound, prompt.choices)
        if picked is None:
            return reprompt(form, ctx, prompt, unmatched_key(inbound, prompt.choices))
        if picked.id == "edit:none":
            return self.advance(form, ctx)
        step = self._step(picked.id.removeprefix("edit:"))
        return self.advance(form.answered({}, removes=(step.name, *step.edit_clears)), ctx)


_SLOT_OF_STEP = {
    "group": "category",
    "category": "category",
    "topic": "topic",
    "region": "region",
    "kecamatan": "kecamatan",
}


def close_meaning_for(step: str, heard: Meanings, ctx: FlowContext, answers: Mapping[str, Any]) -> Clarification | None:
    """The message's close meanings for the question `step` asks, when it is one a story answers."""
    slot = _SLOT_OF_STEP.get(step)
    if slot is None:
        return None
    if slot == "region":
        return clarify.offer_place(heard)
    if slot == "kecamatan":
        # "nenek2 ngemis di pasar baros, rumahnya katanya di petir": two kecamatan of the region, asked which
        named = tuple(c for c in heard.kecamatan.close() if ctx.regions.kecamatan(c).region == answers.get("region"))
        return Clarification(slot, named, heard.text) if len(named) >= 2 else None
    if slot == "category":  # the one in danger's, as a story's category is taken (story.answers_from)
        return clarify.offer(slot, clarify.as_answered(heard), heard)
    return clarify.offer(slot, getattr(heard, slot), heard)


_SUMMARY_STEP = Step(SUMMARY, lambda _f, _c: Reply(""), lambda _f, _i, _c: Rejected(""))


def _typed_yes_no(inbound: Inbound, prompt: Reply, ctx: FlowContext) -> Choice | None:
    """ "iya"/"sudah benar" sends, "ubah"/"salah" changes: the summary's buttons, typed."""
    if inbound.kind is not InboundKind.TEXT:
        return None
    if ctx.understanding.read(inbound.text).intent.clear() == "cancel":
        return None  # "gk jadi deh, batalin": not "no, change it"; the router asks whether to cancel
    answer = ctx.understanding.options(inbound.text, "answer").clear()
    if answer == "yes" and ctx.understanding.says_but(inbound.text):
        answer = "no"  # "bener semua tp sy mau anonim aja": right, but something is to change
    index = {"yes": 0, "no": 1}.get(answer or "")
    return prompt.choices[index] if index is not None else None


def reprompt(
    form: FormState, ctx: FlowContext, prompt: Reply, key: str, params: Mapping[str, Any] | None = None
) -> FormStep:
    """Say what was wrong and ask the same question again, in one message, keeping every answer."""
    return FormStep(form, ask_again(prompt, ctx, key, params))
