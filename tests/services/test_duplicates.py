"""Possible duplicate sightings and merging them, through the real intake, case-work and scheduler."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlmodel import Session, select

from bot.domain.regions import load_regions
from bot.flows.base import FlowContext
from bot.runtime import Runtime
from bot.services.access import PermissionDenied
from bot.services.appointments import offer_slots, pick_slot
from bot.services.case_thread import message_citizen
from bot.services.claims import CaseActionError, claim_request, close_request, reopen_request
from bot.services.duplicates import (
    distance_m,
    is_possible_duplicate,
    merge_requests,
    possible_duplicates,
    with_possible_duplicates,
)
from bot.services.status import status_reply
from storage.casework import request_events
from storage.models import Appointment, Contact, OutboxMessage, Request
from tests.helpers.reports import act, submit
from tests.helpers.staff import as_staff, make_staff

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

WIB = ZoneInfo("Asia/Jakarta")
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=WIB)  # a Tuesday morning: no quiet hours in the way
PIN = (-6.1200, 106.1500)
METRE = 1 / 111_195  # degrees of latitude per metre
CIPOCOK, CURUG = "4015", "4016"  # two kecamatan of Kota Serang
DINSOS = "dinsos-kota-serang"


def sighting(
    runtime: Runtime,
    hours: float,
    *,
    category: str = "pengemis",
    kecamatan: str = CIPOCOK,
    north_m: float = 0,
    pin: bool = True,
) -> Request:
    where = (PIN[0] + north_m * METRE, PIN[1]) if pin else None
    return submit(
        runtime,
        at=T0 + timedelta(hours=hours),
        region="kota-serang",
        kind="sighting",
        category=category,
        kecamatan=kecamatan,
        pin=where,
        phone="081234567890",
    )


def texts_to(runtime: Runtime, request: Request) -> list[str]:
    with Session(runtime.db) as session:
        rows = session.exec(
            select(OutboxMessage).where(OutboxMessage.contact_id == request.contact_id).order_by(OutboxMessage.id)
        )
        return [row.payload["text"] for row in rows]


def deliver_updates(runtime: Runtime, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        runtime.due_work.run_due()


def test_same_category_kecamatan_48_hours_and_300_metres_make_a_possible_duplicate(runtime: Runtime) -> None:
    first = sighting(runtime, 0)
    near = sighting(runtime, 5, north_m=200)
    unpinned = sighting(runtime, 47, pin=False)
    sighting(runtime, 96)  # too late for any of them
    far = sighting(runtime, 6, north_m=-400)  # too far from both pins (but the unpinned report may be it)
    sighting(runtime, 7, category="anak_jalanan")  # another category
    sighting(runtime, 8, kecamatan=CURUG)  # another kecamatan
    coordinator = make_staff(runtime, "budi", role="coordinator", region="kota-serang")
    with Session(runtime.db) as session:
        found = possible_duplicates(session, view=coordinator, request=session.get(Request, first.id))
        assert [(d.request.ticket_code, d.newer is d.request) for d in found] == [
            (near.ticket_code, True),
            (unpinned.ticket_code, True),
        ]
        assert 195 < found[0].distance_m < 205 and found[1].distance_m is None
        seen_from_near = possible_duplicates(session, view=coordinator, request=session.get(Request, near.id))
        assert [(d.request.ticket_code, d.newer is d.request) for d in seen_from_near] == [
            (first.ticket_code, False),
            (unpinned.ticket_code, True),
        ]
        everything = session.exec(select(Request).order_by(Request.id)).all()
        assert with_possible_duplicates(session, view=coordinator, requests=everything) == {
            first.id,
            near.id,
            unpinned.id,
            far.id,
        }


def test_the_window_is_48_hours_either_way() -> None:
    def at(hours: float) -> Request:
        return Request(
            id=int(hours * 10) + 1,
            kind="sighting",
            category="pengemis",
            kecamatan_code=CIPOCOK,
            created_at=T0 + timedelta(hours=hours),
        )

    assert is_possible_duplicate(at(0), at(48)) and is_possible_duplicate(at(48), at(0))
    assert not is_possible_duplicate(at(0), at(48.1)) and not is_possible_duplicate(at(0), at(0).model_copy())


def test_haversine_matches_a_known_distance() -> None:
    serang, cilegon = Request(latitude=-6.1201, longitude=106.1503), Request(latitude=-6.0025, longitude=106.0111)
    assert 20_000 < distance_m(serang, cilegon) < 20_200  # about 20.1 km, as map tools measure it


def test_merge_closes_the_newer_and_every_reporter_follows_the_survivor(runtime: Runtime) -> None:
    earlier, newer = sighting(runtime, 0), sighting(runtime, 2, north_m=100)
    worker = make_staff(runtime, "andi", queues=(DINSOS,))
    merged_at = T0 + timedelta(hours=3)
    survivor = act(runtime, worker, merged_at, merge_requests, request_id=newer.id, into_id=earlier.id)
    assert survivor.id == earlier.id
    with Session(runtime.db) as session:
        closed = session.get(Request, newer.id)
        assert (closed.status, closed.merged_into_id) == ("cancelled", earlier.id)
        merge_events = [
            (e.request_id, e.actor, e.at, e.detail.get("ticket"))
            for rid in (newer.id, earlier.id)
            for e in request_events(session, request_id=rid)
            if e.kind == "merge" or e.detail.get("action") == "merge"
        ]
    assert merge_events == [
        (newer.id, f"staff:{worker.id}", merged_at, earlier.ticket_code),
        (earlier.id, f"staff:{worker.id}", merged_at, newer.ticket_code),
    ]
    deliver_updates(runtime, merged_at)
    assert "digabung" in texts_to(runtime, newer)[-1] and newer.ticket_code in texts_to(runtime, newer)[-1]

    claimed_at = T0 + timedelta(hours=4)
    act(runtime, worker, claimed_at, claim_request, request_id=earlier.id, routing=runtime.routing)
    act(runtime, worker, claimed_at, close_request, request_id=earlier.id, outcome="resolved", note="dijangkau")
    deliver_updates(runtime, claimed_at)
    for request in (earlier, newer):
        texts = texts_to(runtime, request)
        assert any(f"tiket {request.ticket_code} sudah ditangani" in t for t in texts), texts
        assert any(f"tiket {request.ticket_code} sudah selesai" in t for t in texts), texts

    with Session(runtime.db) as session:  # "status KODE" of the merged ticket tells how the survivor stands
        contact = session.get(Contact, newer.contact_id)
        ctx = FlowContext("id", runtime.catalog, load_regions(), runtime.settings.emergency_numbers)
        answer = status_reply(session, contact=contact, ticket_code=newer.ticket_code, ctx=ctx, tz=WIB)
        assert newer.ticket_code in answer.text and "Selesai" in answer.text


def test_only_status_updates_reach_merged_reporters(runtime: Runtime) -> None:
    """The counselor's words and offers stay with the survivor's reporter; an appointment set is told to all."""
    earlier, newer = sighting(runtime, 0), sighting(runtime, 1)
    worker = make_staff(runtime, "andi", queues=(DINSOS,))
    at = T0 + timedelta(hours=2)
    act(runtime, worker, at, merge_requests, request_id=newer.id, into_id=earlier.id)
    act(runtime, worker, at, claim_request, request_id=earlier.id, routing=runtime.routing)
    act(runtime, worker, at, message_citizen, request_id=earlier.id, text="Kami menuju lokasi.")
    act(runtime, worker, at, offer_slots, request_id=earlier.id, slots=[(T0 + timedelta(days=1), "home")])
    with Session(runtime.db, expire_on_commit=False) as session, session.begin():
        contact = session.get(Contact, earlier.contact_id)
        slot = session.exec(select(Appointment).where(Appointment.request_id == earlier.id)).one()
        with time_machine.travel(at, tick=False):
            pick_slot(session, contact=contact, appointment_id=slot.id, renderer=runtime.renderer, now=at)
    deliver_updates(runtime, at)
    mine, theirs = texts_to(runtime, earlier), texts_to(runtime, newer)
    assert any("Kami menuju lokasi." in t for t in mine) and not any("Kami menuju lokasi." in t for t in theirs)
    assert all(newer.ticket_code in t and earlier.ticket_code not in t for t in theirs)  # no offer, no thread
    assert [t for t in theirs if "menjadwalkan tindak lanjut" in t] == [
        f"Pesan dari layanan Dinas Sosial Provinsi Banten: petugas sudah menjadwalkan tindak lanjut untuk tiket {newer.ticket_code}."
    ]


def test_merge_is_refused_with_a_reason(runtime: Runtime) -> None:
    earlier, newer, far = sighting(runtime, 0), sighting(runtime, 1), sighting(runtime, 2, north_m=1000)
    other_queue = make_staff(runtime, "rina", queues=("lk3-kota-serang",))
    worker = make_staff(runtime, "andi", queues=(DINSOS,))
    at = T0 + timedelta(hours=3)
    with pytest.raises(PermissionDenied):
        act(runtime, other_queue, at, merge_requests, request_id=newer.id, into_id=earlier.id)
    for request_id, into_id, key in (
        (earlier.id, newer.id, "dup.error_not_newer"),
        (far.id, earlier.id, "dup.error_not_duplicate"),
    ):
        with pytest.raises(CaseActionError) as refused:
            act(runtime, worker, at, merge_requests, request_id=request_id, into_id=into_id)
        assert refused.value.args[0] == key
    act(runtime, worker, at, merge_requests, request_id=newer.id, into_id=earlier.id)
    for action, kwargs, key in (
        (merge_requests, {"request_id": newer.id, "into_id": earlier.id}, "dup.error_already_merged"),
        (reopen_request, {"request_id": newer.id, "reason": "salah"}, "dup.error_merged"),
        (claim_request, {"request_id": newer.id, "routing": runtime.routing}, "case.error_closed"),
    ):
        with pytest.raises(CaseActionError) as refused:
            act(runtime, worker, at, action, **kwargs)
        assert refused.value.args[0] == key
    with Session(runtime.db) as session:
        assert session.get(Request, far.id).merged_into_id is None and session.get(Request, earlier.id).status == "new"


def test_concurrent_merges_of_one_report_merge_it_once(runtime: Runtime) -> None:
    """Six staff press "gabungkan" on the same pair at once, each on their own connection."""
    earlier, newer = sighting(runtime, 0), sighting(runtime, 1)
    views = [make_staff(runtime, f"petugas{i}", queues=(DINSOS,)) for i in range(6)]
    outcomes: dict[int, str] = {}
    barrier = threading.Barrier(len(views))

    def press(view) -> None:
        barrier.wait(timeout=30)
        try:
            outcomes[view.id] = as_staff(
                runtime, view, merge_requests, request_id=newer.id, into_id=earlier.id
            ).ticket_code
        except CaseActionError as refused:
            outcomes[view.id] = refused.args[0]

    threads = [threading.Thread(target=press, args=(v,)) for v in views]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == [earlier.ticket_code] + ["dup.error_already_merged"] * 5
    with Session(runtime.db) as session:
        assert len([e for e in request_events(session, request_id=earlier.id) if e.kind == "merge"]) == 1
        assert len([e for e in request_events(session, request_id=newer.id) if e.to_status == "cancelled"]) == 1
