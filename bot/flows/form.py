"""A form flow: ordered steps that each fill one answer, then a summary to send or change.

Steps are data (`Step`), so a flow file reads as its table of questions. The next step is always
the first one that applies and has no answer yet; changing an answer from the summary removes it
(and what depends on it), so the citizen is asked again and then lands back on the summary, with
every other answer kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.flows.base import (
    ConversationState,
    FlowContext,
    StepResult,
    SubmitRequest,
    is_stale_choice,
    match_choice,
    unmatched_key,
)
from bot.messages import Choice, Inbound, Reply

SUMMARY = "summary"
EDIT = "edit"


@dataclass(frozen=True, slots=True)
class Draft:
    """The answers so far and the current step's scratch data (e.g. which page of a list is shown)."""

    answers: Mapping[str, Any]
    scratch: Mapping[str, Any]


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
    prompt: Callable[[Draft, FlowContext], Reply]
    accept: Callable[[Draft, Inbound, FlowContext], Outcome]
    applies: Callable[[Mapping[str, Any]], bool] = _always
    label_key: str = ""  # shown in the "what to change" list; empty when not offered there
    edit_clears: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FormFlow:
    name: str
    kind: str
    steps: tuple[Step, ...]
    summary: Callable[[Mapping[str, Any], FlowContext], str]

    def start(self, ctx: FlowContext, answers: Mapping[str, Any] | None = None) -> StepResult:
        """Begin the form, optionally with answers already known (a deep link's region)."""
        state = ConversationState(self.name, "", {"answers": dict(answers or {}), "scratch": {}})
        return self._advance(state, ctx, ())

    def prompt(self, state: ConversationState, ctx: FlowContext) -> Reply:
        """The current question again, for a resumed or interrupted conversation."""
        if state.step == SUMMARY:
            return self._summary_reply(state, ctx)
        if state.step == EDIT:
            return self._edit_reply(state, ctx)
        return self._step(state.step).prompt(_draft(state), ctx)

    def handle(self, state: ConversationState, inbound: Inbound, ctx: FlowContext) -> StepResult:
        if state.step == SUMMARY:
            return self._on_summary(state, inbound, ctx)
        if state.step == EDIT:
            return self._on_edit(state, inbound, ctx)
        step = self._step(state.step)
        draft = _draft(state)
        prompt = step.prompt(draft, ctx)
        if is_stale_choice(inbound, prompt.choices):
            return _reprompt(state, ctx, prompt, "common.stale_choice", {})
        outcome = step.accept(draft, inbound, ctx)
        if isinstance(outcome, Rejected):
            return _reprompt(state, ctx, prompt, outcome.key, outcome.params)
        if isinstance(outcome, Redisplay):
            state.data["scratch"] = dict(outcome.scratch)
            return StepResult(state, (step.prompt(_draft(state), ctx),))
        answers = state.data["answers"]
        answers.update(outcome.answers)
        for name in outcome.removes:
            answers.pop(name, None)
        state.data["scratch"] = {}
        notes = (Reply(ctx.t(outcome.note_key)),) if outcome.note_key else ()
        return self._advance(state, ctx, notes)

    def applicable_answers(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Only the answers of steps that apply: a phone typed before choosing "anonim" is dropped."""
        keep = {s.name for s in self.steps if s.applies(answers)}
        return {k: v for k, v in answers.items() if k in keep}

    def _step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    def _next_step(self, answers: Mapping[str, Any]) -> Step | None:
        return next((s for s in self.steps if s.applies(answers) and s.name not in answers), None)

    def _advance(self, state: ConversationState, ctx: FlowContext, before: tuple) -> StepResult:
        step = self._next_step(state.data["answers"])
        state.step = step.name if step else SUMMARY
        return StepResult(state, (*before, self.prompt(state, ctx)))

    def _summary_reply(self, state: ConversationState, ctx: FlowContext) -> Reply:
        text = self.summary(self.applicable_answers(state.data["answers"]), ctx)
        return Reply(
            f"{text}\n\n{ctx.t('form.summary_question')}",
            (Choice("confirm:send", ctx.t("form.send")), Choice("confirm:edit", ctx.t("form.edit"))),
        )

    def _on_summary(self, state: ConversationState, inbound: Inbound, ctx: FlowContext) -> StepResult:
        prompt = self._summary_reply(state, ctx)
        picked = match_choice(inbound, prompt.choices)
        if picked is None:
            return _reprompt(state, ctx, prompt, unmatched_key(inbound, prompt.choices), {})
        if picked.id == "confirm:edit":
            state.step = EDIT
            return StepResult(state, (self._edit_reply(state, ctx),))
        answers = self.applicable_answers(state.data["answers"])
        effect = SubmitRequest(self.kind, answers, danger=bool(state.data.get("danger")))
        return StepResult(ConversationState(), (effect,))

    def _editable(self, answers: Mapping[str, Any]) -> list[Step]:
        return [s for s in self.steps if s.label_key and s.applies(answers)]

    def _edit_reply(self, state: ConversationState, ctx: FlowContext) -> Reply:
        choices = tuple(
            Choice(f"edit:{s.name}", ctx.t(s.label_key)) for s in self._editable(state.data["answers"])
        )
        return Reply(ctx.t("form.edit_which"), (*choices, Choice("edit:none", ctx.t("form.edit_none"))))

    def _on_edit(self, state: ConversationState, inbound: Inbound, ctx: FlowContext) -> StepResult:
        prompt = self._edit_reply(state, ctx)
        picked = match_choice(inbound, prompt.choices)
        if picked is None:
            return _reprompt(state, ctx, prompt, unmatched_key(inbound, prompt.choices), {})
        if picked.id != "edit:none":
            step = self._step(picked.id.removeprefix("edit:"))
            for name in (step.name, *step.edit_clears):
                state.data["answers"].pop(name, None)
        return self._advance(state, ctx, ())


def _draft(state: ConversationState) -> Draft:
    return Draft(state.data["answers"], state.data.get("scratch", {}))


def _reprompt(
    state: ConversationState, ctx: FlowContext, prompt: Reply, key: str, params: Mapping[str, Any]
) -> StepResult:
    """Say what was wrong and ask the same question again, in one message, keeping every answer."""
    text = f"{ctx.t(key, **params)}\n\n{prompt.text}"
    return StepResult(state, (Reply(text, prompt.choices, prompt.request_location),))
