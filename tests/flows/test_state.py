"""The conversation state is a frozen value, and the row holds it in either of its two shapes."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bot.flows.state import (
    Clarification,
    ConversationState,
    FormState,
    Side,
    StaffInput,
    from_row,
    to_row,
)


def _round_trip(state: ConversationState) -> ConversationState:
    flow, step, data = to_row(state)
    return from_row(flow, step, json.loads(json.dumps(data)))


def test_a_state_cannot_be_changed_in_place() -> None:
    form = FormState("report_sighting", "region", {"category": "pengemis"})
    state = ConversationState(form=form)
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.danger = True  # type: ignore[misc]
    with pytest.raises(TypeError):
        form.answers["region"] = "kab-lebak"  # type: ignore[index]
    assert form.answered({"region": "kab-lebak"}).answers == {"category": "pengemis", "region": "kab-lebak"}
    assert form.answers == {"category": "pengemis"}


def test_every_field_survives_the_row() -> None:
    sighting = FormState(
        "report_sighting",
        "kecamatan",
        {"region": "kota-serang", "place": {"landmark": "pasar"}},
        {"page": 1},
        danger=True,
        misses=1,
        clarify=Clarification("kecamatan", ("3601", "3602"), "curug"),
    )
    counseling = FormState("request_counseling", "topic", {})
    state = ConversationState(form=sighting, drafts=(counseling,), side=Side.CANCEL, unheard=("asdf",))
    assert _round_trip(state) == state
    assert to_row(state)[:2] == ("cancel", "kecamatan")
    staff = ConversationState(staff_input=StaffInput("note", 7))
    assert _round_trip(staff) == staff and to_row(staff)[0] == "staff_input"
    assert _round_trip(ConversationState(danger=True)) == ConversationState(danger=True)


def test_rows_written_before_the_typed_state_still_read() -> None:
    """A citizen halfway through a form when the service is upgraded goes on where they were."""
    counseling = {
        "flow": "request_counseling",
        "step": "for_whom",
        "data": {"answers": {"topic": "perceraian"}, "scratch": {}},
    }
    sighting = {
        "flow": "report_sighting",
        "step": "kecamatan",
        "data": {"answers": {"region": "kota-serang"}, "scratch": {"page": 1}, "draft": counseling, "danger": True},
    }
    at_menu = from_row("menu", "", {"draft": sighting})
    assert at_menu.form is None and [d.name for d in at_menu.drafts] == ["report_sighting", "request_counseling"]
    assert at_menu.drafts[0].danger and at_menu.drafts[0].scratch == {"page": 1}
    in_form = from_row("report_sighting", "place", {"answers": {"region": "kab-lebak"}, "scratch": {}})
    assert in_form.form == FormState("report_sighting", "place", {"region": "kab-lebak"})
    asking = from_row(
        "status",
        "ask",
        {"return": {"flow": "request_counseling", "step": "topic", "data": {"answers": {}, "scratch": {}}}},
    )
    assert asking.side is Side.STATUS and asking.form == FormState("request_counseling", "topic")
    assert from_row("staff_input", "message", {"request": 12}).staff_input == StaffInput("message", 12)
    assert from_row("menu", "", {}) == ConversationState()
