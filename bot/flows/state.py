"""The conversation's state: a frozen, typed value that each flow step returns anew.

The engine loads it from the `conversation` row, a flow step returns a new one (never changes the one it
was given, so the engine can still compare before and after), and the engine saves that. `to_row` and
`from_row` are the only places that know the row's JSON shape; `from_row` also reads the older, untyped
shape (a plain dict with "answers", "draft", "return", ...), so a citizen halfway through a form when the
service is upgraded goes on where they were.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any

FORM_NAMES = ("report_sighting", "request_counseling")
SUMMARY = "summary"
EDIT = "edit"
_VERSION = 2


def frozen(mapping: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """A read-only copy: a state's answers cannot be changed behind the engine's back."""
    return MappingProxyType(dict(mapping or {}))


class Side(StrEnum):
    """A short question asked over the form or the menu; answering it returns there."""

    LANGUAGE = "language"
    CANCEL = "cancel"
    STATUS = "status"
    ERASE = "erase"


@dataclass(frozen=True, slots=True)
class Clarification:
    """ "Maksud Anda ...?": the close meanings offered for one answer, and the words they came from."""

    slot: str  # the answer an option fills: "category", "topic", "region", "kecamatan", "form"
    options: tuple[str, ...]
    said: str = ""


@dataclass(frozen=True, slots=True)
class FormState:
    """One form's progress: the answers so far, the step being asked, and that step's scratch data.

    `misses` counts the answers in a row at this step that were not understood; `clarify` holds the
    meanings offered when the last answer was close to more than one.
    """

    name: str
    step: str = ""
    answers: Mapping[str, Any] = field(default_factory=frozen)
    scratch: Mapping[str, Any] = field(default_factory=frozen)
    danger: bool = False
    misses: int = 0
    clarify: Clarification | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "answers", frozen(self.answers))
        object.__setattr__(self, "scratch", frozen(self.scratch))

    def answered(self, changes: Mapping[str, Any], removes: Iterable[str] = ()) -> FormState:
        """These answers added (and those removed); the step's scratch data, misses and question end."""
        answers = {k: v for k, v in {**self.answers, **changes}.items() if k not in set(removes)}
        return replace(self, answers=answers, scratch={}, misses=0, clarify=None)

    def at(self, step: str) -> FormState:
        return self if step == self.step else replace(self, step=step, scratch={}, misses=0, clarify=None)

    def missed(self) -> FormState:
        return replace(self, misses=self.misses + 1, clarify=None)


@dataclass(frozen=True, slots=True)
class StaffInput:
    """Staff mode is waiting for the text of a message or note on one request, or where it was referred to."""

    action: str  # "message" | "note" | "referred"
    request_id: int


@dataclass(frozen=True, slots=True)
class ConversationState:
    """Where a conversation is: the form on screen (None at the menu), forms left halfway, a side question.

    `danger` is danger said outside a form: the next form opened is urgent. `unheard` holds the texts not
    understood at the menu in a row, so the second one can be taken as it is instead of asked again.
    `clarify` is the menu's "report or counseling?" about a story, which it keeps to fill the form chosen.
    """

    form: FormState | None = None
    drafts: tuple[FormState, ...] = ()  # most recent first, at most one per form
    side: Side | None = None
    staff_input: StaffInput | None = None
    danger: bool = False
    unheard: tuple[str, ...] = ()
    clarify: Clarification | None = None

    @property
    def flow(self) -> str:
        """A name for the row and the logs: the side question, staff input, the form or "menu"."""
        if self.side is not None:
            return self.side.value
        if self.staff_input is not None:
            return "staff_input"
        return self.form.name if self.form is not None else "menu"

    @property
    def has_draft(self) -> bool:
        """Answers not yet sent: a form in progress or one waiting behind the menu."""
        return self.form is not None or bool(self.drafts)

    def draft_of(self, name: str) -> FormState | None:
        return next((d for d in self.drafts if d.name == name), None)

    def shelved(self) -> ConversationState:
        """The open form (if any) put behind the menu as the newest draft, replacing its older draft."""
        if self.form is None:
            return replace(self, side=None)
        drafts = (self.form, *(d for d in self.drafts if d.name != self.form.name))
        return ConversationState(drafts=drafts, danger=self.danger)

    def opened(self, form: FormState) -> ConversationState:
        """`form` on screen (taken out of the drafts), the pending danger now the form's own."""
        form = replace(form, danger=True) if self.danger else form
        drafts = tuple(d for d in self.drafts if d.name != form.name)
        return ConversationState(form=form, drafts=drafts)


# --- the row -----------------------------------------------------------------------------------


def to_row(state: ConversationState) -> tuple[str, str, dict[str, Any]]:
    """(flow, step, data) for the `conversation` row; data is plain JSON."""
    data: dict[str, Any] = {"v": _VERSION}
    if state.form is not None:
        data["form"] = _form_json(state.form)
    if state.drafts:
        data["drafts"] = [_form_json(d) for d in state.drafts]
    if state.side is not None:
        data["side"] = state.side.value
    if state.staff_input is not None:
        data["staff_input"] = {"action": state.staff_input.action, "request": state.staff_input.request_id}
    if state.danger:
        data["danger"] = True
    if state.unheard:
        data["unheard"] = list(state.unheard)
    if state.clarify is not None:
        data["clarify"] = _clarification_json(state.clarify)
    step = state.form.step if state.form is not None else ""
    return state.flow, step, data


def from_row(flow: str, step: str, data: Mapping[str, Any]) -> ConversationState:
    """The state a row holds, in either shape; anything unreadable starts at the menu."""
    if data.get("v") == _VERSION:
        staff = data.get("staff_input")
        return ConversationState(
            form=_form_of(data["form"]) if data.get("form") else None,
            drafts=tuple(_form_of(d) for d in data.get("drafts", ())),
            side=Side(data["side"]) if data.get("side") else None,
            staff_input=StaffInput(staff["action"], int(staff["request"])) if staff else None,
            danger=bool(data.get("danger")),
            unheard=tuple(data.get("unheard", ())),
            clarify=_clarification_of(data.get("clarify")),
        )
    return _from_first_shape(flow, step, data)


def _form_json(form: FormState) -> dict[str, Any]:
    data: dict[str, Any] = {"name": form.name, "step": form.step, "answers": dict(form.answers)}
    if form.scratch:
        data["scratch"] = dict(form.scratch)
    if form.danger:
        data["danger"] = True
    if form.misses:
        data["misses"] = form.misses
    if form.clarify is not None:
        data["clarify"] = _clarification_json(form.clarify)
    return data


def _clarification_json(clarification: Clarification) -> dict[str, Any]:
    return {"slot": clarification.slot, "options": list(clarification.options), "said": clarification.said}


def _clarification_of(data: Mapping[str, Any] | None) -> Clarification | None:
    return Clarification(data["slot"], tuple(data["options"]), data.get("said", "")) if data else None


def _form_of(data: Mapping[str, Any]) -> FormState:
    return FormState(
        name=data["name"],
        step=data.get("step", ""),
        answers=data.get("answers", {}),
        scratch=data.get("scratch", {}),
        danger=bool(data.get("danger")),
        misses=int(data.get("misses", 0)),
        clarify=_clarification_of(data.get("clarify")),
    )


def _from_first_shape(flow: str, step: str, data: Mapping[str, Any]) -> ConversationState:
    """The shape before version 2: {"answers", "scratch", "draft": snapshot, "return": snapshot, "danger"}."""
    if flow in (s.value for s in Side) and isinstance(data.get("return"), Mapping):
        snapshot = data["return"]
        base = _from_first_shape(snapshot["flow"], snapshot["step"], snapshot["data"])
        return replace(base, side=Side(flow))
    if flow == "staff_input" and "request" in data:
        return ConversationState(staff_input=StaffInput(step, int(data["request"])))
    drafts = _first_shape_drafts(data.get("draft"))
    danger = bool(data.get("danger"))
    if flow in FORM_NAMES:
        form = FormState(flow, step, data.get("answers", {}), data.get("scratch", {}), danger=danger)
        return ConversationState(form=form, drafts=tuple(d for d in drafts if d.name != flow))
    return ConversationState(drafts=drafts, danger=danger)


def _first_shape_drafts(snapshot: Any) -> tuple[FormState, ...]:
    """A draft snapshot may hold the other form's draft inside its own data: flatten, newest first."""
    drafts: list[FormState] = []
    while isinstance(snapshot, Mapping) and snapshot.get("flow") in FORM_NAMES:
        inner = snapshot.get("data", {})
        if all(d.name != snapshot["flow"] for d in drafts):
            drafts.append(
                FormState(
                    snapshot["flow"],
                    snapshot.get("step", ""),
                    inner.get("answers", {}),
                    inner.get("scratch", {}),
                    danger=bool(inner.get("danger")),
                )
            )
        snapshot = inner.get("draft")
    return tuple(drafts)
