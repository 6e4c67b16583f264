"""A form flow: ordered steps that each fill one answer, then a summary to send or change.

Steps are data (`Step`), so a flow file reads as its table of questions. The next step is always
the first one that applies and has no answer yet; changing an answer from the summary removes it
(and what depends on it), so the citizen is asked again and then lands back on the summary, with
every other answer kept. Every call returns a new `FormState`; none changes the one it was given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot.flows.base import FlowContext, Output, SubmitRequest, is_stale_choice, match_choice, unmatched_key
from bot.flows.state import EDIT, SUMMARY, FormState
from bot.messages import Choice, Inbound, Reply


@dataclass(frozen=True, slots=True)
class Accepted:
    answers: Mapping[str, Any]
    removes: tuple[str, ...] = ()
    note_key: str = ""  # said before the next question, e.g. why consent was not needed


@dataclass(frozen=True, slots=True)
class Rejected:
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Redisplay:
    """Stay on the step with new scratch data, e.g. the next page of kecamatan."""

    scratch: Mapping[str, Any]


Outcome = Accepted | Rejected | Redisplay


def _always(_answers: Mapping[str, Any]) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Step:
    """One question. `name` is the answer key it fills; `edit_clears` is what changing it removes."""

    name: str
    prompt: Callable[[FormState, FlowContext], Reply]
    accept: Callable[[FormState, Inbound, FlowContext], Outcome]
    applies: Callable[[Mapping[str, Any]], bool] = _always
    label_key: str = ""  # shown in the "what to change" list; empty when not offered there
    edit_clears: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FormStep:
    """What one step of a form did: the form as it now stands (None once sent) and what to say."""

    form: FormState | None
    outputs: tuple[Output, ...] = ()


@dataclass(frozen=True, slots=True)
class FormFlow:
    name: str
    kind: str
    steps: tuple[Step, ...]
    summary: Callable[[Mapping[str, Any], FlowContext], str]

    def start(self, ctx: FlowContext, answers: Mapping[str, Any] | None = None, *, danger: bool = False) -> FormStep:
        """Begin the form, optionally with answers already known (a deep link's region)."""
        return self.advance(FormState(self.name, "", answers or {}, danger=danger), ctx)

    def prompt(self, form: FormState, ctx: FlowContext) -> Reply:
        """The current question again, for a resumed or interrupted conversation."""
        if form.step == SUMMARY:
            return self._summary_reply(form, ctx)
        if form.step == EDIT:
            return self._edit_reply(form, ctx)
        return self._step(form.step).prompt(form, ctx)

    def handle(self, form: FormState, inbound: Inbound, ctx: FlowContext) -> FormStep:
        if form.step == SUMMARY:
            return self._on_summary(form, inbound, ctx)
        if form.step == EDIT:
            return self._on_edit(form, inbound, ctx)
        step = self._step(form.step)
        prompt = step.prompt(form, ctx)
        if is_stale_choice(inbound, prompt.choices):
            return reprompt(form, ctx, prompt, "common.stale_choice")
        outcome = step.accept(form, inbound, ctx)
        if isinstance(outcome, Rejected):
            return reprompt(form, ctx, prompt, outcome.key, outcome.params)
        if isinstance(outcome, Redisplay):
            shown = replace(form, scratch=outcome.scratch)
            return FormStep(shown, (step.prompt(shown, ctx),))
        notes = (Reply(ctx.t(outcome.note_key)),) if outcome.note_key else ()
        return self.advance(form.answered(outcome.answers, outcome.removes), ctx, notes)

    def applicable_answers(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Only the answers of steps that apply: a phone typed before choosing "anonim" is dropped."""
        keep = {s.name for s in self.steps if s.applies(answers)}
        return {k: v for k, v in answers.items() if k in keep}

    def advance(self, form: FormState, ctx: FlowContext, before: tuple[Output, ...] = ()) -> FormStep:
        """Move to the first step that applies and has no answer yet, or to the summary, and ask it."""
        step = self._next_step(form.answers)
        moved = form.at(step.name if step else SUMMARY)
        return FormStep(moved, (*before, self.prompt(moved, ctx)))

    def _step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    def _next_step(self, answers: Mapping[str, Any]) -> Step | None:
        return next((s for s in self.steps if s.applies(answers) and s.name not in answers), None)

    def _summary_reply(self, form: FormState, ctx: FlowContext) -> Reply:
        text = self.summary(self.applicable_answers(form.answers), ctx)
        return Reply(
            f"{text}\n\n{ctx.t('form.summary_question')}",
            (Choice("confirm:send", ctx.t("form.send")), Choice("confirm:edit", ctx.t("form.edit"))),
        )

    def _on_summary(self, form: FormState, inbound: Inbound, ctx: FlowContext) -> FormStep:
        prompt = self._summary_reply(form, ctx)
        picked = match_choice(inbound, prompt.choices)
        if picked is None:
            return reprompt(form, ctx, prompt, unmatched_key(inbound, prompt.choices))
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


def reprompt(form: FormState, ctx: FlowContext, prompt: Reply, key: str,
             params: Mapping[str, Any] | None = None) -> FormStep:
    """Say what was wrong and ask the same question again, in one message, keeping every answer."""
    text = f"{ctx.t(key, **(params or {}))}\n\n{prompt.text}"
    return FormStep(form, (Reply(text, prompt.choices, prompt.request_location),))
