"""The 24-hour window, the window notice template, error mapping and media, against the fake Graph API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from sqlmodel import Session, col, select

from bot.config import Settings
from bot.delivery.base import PermanentFailure, Recipient, RecipientUnreachable, RetryLater, TemporaryFailure
from bot.handlers.whatsapp import WhatsAppChannel
from bot.handlers.whatsapp_send import HoldUntilReply
from bot.i18n import load_catalog
from bot.messages import Choice, PhotoProblem, Reply
from bot.runtime import Runtime
from bot.services.photos import PhotoRefused
from storage import delivery as delivery_store
from storage.models import Contact, OutboxMessage, OutboxWamid
from storage.outbox import enqueue_messages
from tests.helpers.fake_graph_api import FakeGraphAPI, graph_api, graph_api_server  # noqa: F401 (fixtures)
from tests.helpers.whatsapp import (
    WA_ID,
    Citizen,
    body_text,
    post_webhook,
    status_payload,
    whatsapp_client,
    whatsapp_settings,
)

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

T = load_catalog()
FOLLOW_UP = {"text": "Petugas LK3 ingin mengatur jadwal konseling dengan Anda."}
NOTICE = "pemberitahuan_pesan_baru"


@pytest.fixture
def settings(database_url: str, graph_api: FakeGraphAPI) -> Settings:
    return whatsapp_settings(database_url, graph_api)


@pytest.fixture
async def wa(runtime: Runtime) -> AsyncIterator[tuple[httpx.AsyncClient, WhatsAppChannel]]:
    async with whatsapp_client(runtime) as pair:
        yield pair


def _now() -> datetime:
    return datetime.now(UTC)


def _contact_id(runtime: Runtime) -> int:
    with Session(runtime.db) as session:
        return session.exec(select(Contact.id)).one()


def _enqueue(runtime: Runtime, contact_id: int, payload: dict) -> int:
    """What a scheduled follow-up or a counselor's message does: a row in the outbox."""
    with Session(runtime.db) as session, session.begin():
        return enqueue_messages(session, contact_id=contact_id, channel="whatsapp", payloads=[payload], now=_now())[0]


def _row(runtime: Runtime, row_id: int) -> OutboxMessage:
    with Session(runtime.db) as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        return row


def _templates(sent: list[dict]) -> list[dict]:
    return [m["template"] for m in sent if m["type"] == "template"]


async def _queued_for_a_citizen_who_wrote(
    client: httpx.AsyncClient, runtime: Runtime, graph_api: FakeGraphAPI, payload: dict
) -> tuple[Citizen, int]:
    """A citizen who just wrote (the window is open by our clock), and a message queued for them."""
    citizen = Citizen(client, runtime, graph_api)
    await citizen.text("menu")
    return citizen, _enqueue(runtime, _contact_id(runtime), payload)


async def _window_closed(client: httpx.AsyncClient, wamid: str) -> None:
    """Meta's `failed` status with 131047 for one message we sent."""
    assert (await post_webhook(client, status_payload(wamid, "failed", error_code=131047))).status_code == 200


async def _held_until_the_citizen_writes(citizen: Citizen, row_id: int, wamid: str) -> list[dict]:
    """The message waits for the citizen, who got one notice (the same status again sends none), and
    goes out when they write; returns what they got then."""
    row = _row(citizen.runtime, row_id)
    assert (row.status, row.last_error) == ("held", "131047 Re-engagement message")
    assert _templates(citizen.graph_api.take_messages()) == [{"name": NOTICE, "language": {"code": "id"}}]
    await _window_closed(citizen.client, wamid)
    assert citizen.graph_api.take_messages() == []
    answer = await citizen.text("halo")
    assert _row(citizen.runtime, row_id).status == "sent"
    return answer


async def _recipient(runtime: Runtime, *, last_inbound_at: datetime | None) -> Recipient:
    with Session(runtime.db) as session, session.begin():
        contact = Contact(
            channel="whatsapp",
            platform_user_id=WA_ID,
            address=WA_ID,
            created_at=_now(),
            last_inbound_at=last_inbound_at,
        )
        session.add(contact)
        session.flush()
        return Recipient(contact.id, WA_ID, "id", last_inbound_at)


async def test_follow_up_outside_the_window_goes_as_template_and_waits_for_the_reply(
    wa, runtime: Runtime, graph_api: FakeGraphAPI
) -> None:
    client, _ = wa
    citizen = Citizen(client, runtime, graph_api)
    await citizen.text("menu")
    contact_id = _contact_id(runtime)
    with time_machine.travel(_now() + timedelta(hours=25), tick=True):
        follow_up = _enqueue(runtime, contact_id, FOLLOW_UP)
        second = _enqueue(runtime, contact_id, {"text": "Jadwal yang tersedia: Senin 10.00."})
        await runtime.delivery.drain_once()
        sent = graph_api.take_messages()
        assert [m["type"] for m in sent] == ["template"]  # no free text outside the window, one notice only
        assert _templates(sent) == [{"name": NOTICE, "language": {"code": "id"}}]
        assert (_row(runtime, follow_up).status, _row(runtime, second).status) == ("held", "held")

        answer = await citizen.text("halo")  # the citizen answers the notice: the window is open again
        texts = [body_text(m) for m in answer if m["type"] in ("text", "interactive")]
        assert texts[:2] == [FOLLOW_UP["text"], "Jadwal yang tersedia: Senin 10.00."]  # held ones first, in order
        assert len(texts) > 2 and (_row(runtime, follow_up).status, _row(runtime, second).status) == ("sent", "sent")


async def test_sender_outside_the_window_sends_the_notice_once_and_holds(
    wa, runtime: Runtime, graph_api: FakeGraphAPI
) -> None:
    _, channel = wa
    recipient = await _recipient(runtime, last_inbound_at=_now() - timedelta(hours=30))
    for _ in range(2):
        with pytest.raises(HoldUntilReply):
            await channel.sender.send(recipient, Reply(FOLLOW_UP["text"]))
    sent = graph_api.take_messages()
    assert _templates(sent) == [{"name": NOTICE, "language": {"code": "id"}}] and len(sent) == 1
    with Session(runtime.db) as session:
        notice = session.exec(select(OutboxMessage).where(OutboxMessage.contact_id == recipient.contact_id)).one()
    assert notice.status == "sent" and notice.platform_message_id and notice.payload["template"] == NOTICE
    assert "kekerasan" not in notice.payload["text"] and "Dinas Sosial" in notice.payload["text"]


async def test_window_closed_error_on_send_falls_back_to_the_notice(
    wa, runtime: Runtime, graph_api: FakeGraphAPI
) -> None:
    """Meta's clock disagrees with ours: 131047 comes back from the send call itself."""
    _, channel = wa
    recipient = await _recipient(runtime, last_inbound_at=_now() - timedelta(hours=23, minutes=30))
    graph_api.fail_next(131047)
    with pytest.raises(HoldUntilReply):
        await channel.sender.send(recipient, Reply(FOLLOW_UP["text"]))
    sent = graph_api.take_messages()
    assert [m["type"] for m in sent] == ["text", "template"]


async def test_late_failed_status_131047_holds_the_message_and_sends_the_notice(
    wa, runtime: Runtime, graph_api: FakeGraphAPI
) -> None:
    client, _ = wa
    citizen, follow_up = await _queued_for_a_citizen_who_wrote(client, runtime, graph_api, FOLLOW_UP)
    await runtime.delivery.drain_once()
    wamid = _row(runtime, follow_up).platform_message_id
    assert wamid and graph_api.take_messages()[0]["text"]["body"] == FOLLOW_UP["text"]

    await _window_closed(client, wamid)
    answer = await _held_until_the_citizen_writes(citizen, follow_up, wamid)
    assert body_text(answer[0]) == FOLLOW_UP["text"]


async def test_131047_status_that_overtakes_the_send_still_holds_and_sends_one_notice(
    wa, runtime: Runtime, graph_api: FakeGraphAPI
) -> None:
    """Meta posts the failure before pywa has the send's answer, so before the worker stored the wamid."""
    client, _ = wa
    citizen, follow_up = await _queued_for_a_citizen_who_wrote(client, runtime, graph_api, FOLLOW_UP)
    overtaken: list[str] = []

    async def status_first(wamid: str) -> None:
        if not overtaken:  # the follow-up's send only, not the notice's
            overtaken.append(wamid)
            await _window_closed(client, wamid)

    graph_api.before_answering(status_first)
    await runtime.delivery.drain_once()
    assert overtaken == [_row(runtime, follow_up).platform_message_id]
    answer = await _held_until_the_citizen_writes(citizen, follow_up, overtaken[0])
    assert body_text(answer[0]) == FOLLOW_UP["text"]


async def test_131047_on_the_first_part_of_a_split_reply_holds_it(
    wa, runtime: Runtime, graph_api: FakeGraphAPI
) -> None:
    client, _ = wa
    long_text = "\n\n".join(f"Paragraf {i}: " + "kata " * 150 for i in range(12))
    citizen, follow_up = await _queued_for_a_citizen_who_wrote(client, runtime, graph_api, {"text": long_text})
    wamids: list[str] = []

    async def collect(wamid: str) -> None:
        wamids.append(wamid)

    graph_api.before_answering(collect)
    await runtime.delivery.drain_once()
    graph_api.before_answering(None)
    assert len(graph_api.take_messages()) == len(wamids) == 3
    for wamid in wamids[1:]:  # the later parts arrive; the message is only as far as its first part
        assert (await post_webhook(client, status_payload(wamid, "delivered"))).status_code == 200
    assert _row(runtime, follow_up).status == "sent"

    await _window_closed(client, wamids[0])
    answer = await _held_until_the_citizen_writes(citizen, follow_up, wamids[0])  # the whole reply again, first
    assert " ".join(body_text(m) for m in answer[:3]).split() == long_text.split()


async def test_a_status_nothing_claims_expires_after_a_day(wa, runtime: Runtime) -> None:
    client, _ = wa

    def unmatched() -> list[str]:
        with Session(runtime.db) as session:
            query = select(OutboxWamid.wamid).where(col(OutboxWamid.outbox_id).is_(None))
            return sorted(session.exec(query).all())

    await post_webhook(client, status_payload("wamid.NEVER_STORED", "failed", error_code=131047))
    with time_machine.travel(_now() + timedelta(hours=23), tick=True):
        await post_webhook(client, status_payload("wamid.ANOTHER", "delivered"))
        assert unmatched() == ["wamid.ANOTHER", "wamid.NEVER_STORED"]  # kept: its send may still be answered
    with time_machine.travel(_now() + timedelta(hours=25), tick=True):
        await post_webhook(client, status_payload("wamid.THIRD", "read"))
        assert unmatched() == ["wamid.ANOTHER", "wamid.THIRD"]


@pytest.mark.parametrize(
    ("inject", "expected"),
    [
        ((130429, 400), RetryLater),
        ((131056, 400), RetryLater),
        ((131026, 400), RecipientUnreachable),
        ((131009, 400), PermanentFailure),
        ((190, 401), TemporaryFailure),
        ((1, 500), TemporaryFailure),
    ],
)
async def test_platform_errors_map_to_delivery_exceptions(
    wa, runtime: Runtime, graph_api: FakeGraphAPI, inject: tuple[int, int], expected: type[Exception]
) -> None:
    _, channel = wa
    recipient = await _recipient(runtime, last_inbound_at=_now())
    code, status = inject
    graph_api.fail_next(code, status=status)
    with pytest.raises(expected) as raised:
        await channel.sender.send(recipient, Reply("halo"))
    if expected is RetryLater:
        assert raised.value.after_seconds > 0


async def test_server_error_and_unreachable_api_are_temporary(wa, runtime: Runtime, graph_api: FakeGraphAPI) -> None:
    _, channel = wa
    recipient = await _recipient(runtime, last_inbound_at=_now())
    graph_api.fail_next_with_server_error(502)
    with pytest.raises(TemporaryFailure):
        await channel.sender.send(recipient, Reply("halo"))
    await channel.stop()
    with pytest.raises(TemporaryFailure):  # not started (or stopped): retry later, do not drop
        await channel.sender.send(recipient, Reply("halo"))


async def test_long_text_is_split_and_many_choices_become_several_lists(
    wa, runtime: Runtime, graph_api: FakeGraphAPI
) -> None:
    _, channel = wa
    recipient = await _recipient(runtime, last_inbound_at=_now())
    paragraphs = "\n\n".join(f"Paragraf {i}: " + "kata " * 150 for i in range(12))
    choices = tuple(Choice(f"kec:{i}", f"Kecamatan nomor {i}") for i in range(1, 24))
    wamids = await channel.sender.send(recipient, Reply(paragraphs + "\n\nPilih kecamatan:", choices))
    sent = graph_api.take_messages()
    kinds = [m["type"] if m["type"] == "text" else m["interactive"]["type"] for m in sent]
    assert kinds == ["text", "text", "text", "list", "list", "list"]
    assert len(set(wamids)) == 6 and all(w.startswith("wamid.FAKE") for w in wamids)  # every message's id
    texts = [m["text"]["body"] for m in sent[:3]]
    bodies = [m["interactive"]["body"]["text"] for m in sent[3:]]
    assert all(len(t) <= 4096 for t in texts) and len(bodies[0]) <= 1024
    assert " ".join(" ".join([*texts, bodies[0]]).split()) == " ".join((paragraphs + " Pilih kecamatan:").split())
    assert bodies[0].endswith("\n\nPilih kecamatan:") and bodies[1:] == ["Pilihan lainnya:", "Pilihan lainnya:"]
    assert [len(m["interactive"]["action"]["sections"][0]["rows"]) for m in sent[3:]] == [8, 8, 7]


async def test_media_are_fetched_within_the_photo_limit(wa, graph_api: FakeGraphAPI) -> None:
    _, channel = wa
    graph_api.media["1002003004005"] = b"\xff\xd8\xff\xe0 fake jpeg"
    assert await channel.fetch_media("1002003004005") == b"\xff\xd8\xff\xe0 fake jpeg"
    download = graph_api.requests[-1]
    assert download.path == "/download/1002003004005" and download.authorization == "Bearer test-token-not-real"
    with pytest.raises(PhotoRefused) as gone:
        await channel.fetch_media("404")
    assert gone.value.problem is PhotoProblem.UNAVAILABLE
    graph_api.media["1002003004006"] = b"\xff" * (5 * 1024 * 1024 + 1)
    with pytest.raises(PhotoRefused) as large:
        await channel.fetch_media("1002003004006")
    assert large.value.problem is PhotoProblem.TOO_LARGE
    assert graph_api.requests[-1].path.endswith("/1002003004006")  # the size was known: never downloaded


def test_window_arithmetic() -> None:
    from bot.handlers.whatsapp_send import window_open

    now = _now()
    assert window_open(now - timedelta(hours=23), now)
    assert not window_open(now - timedelta(hours=23, minutes=55), now)  # too close to the edge
    assert not window_open(None, now)


def test_held_messages_are_released_oldest_first(runtime: Runtime) -> None:
    with Session(runtime.db) as session, session.begin():
        contact = Contact(channel="whatsapp", platform_user_id="x", address="x", created_at=_now())
        session.add(contact)
        session.flush()
        ids = enqueue_messages(
            session, contact_id=contact.id, channel="whatsapp", payloads=[{"text": "a"}, {"text": "b"}], now=_now()
        )
        for row_id in ids:
            delivery_store.hold_message(session, message_id=row_id, reason="window")
        contact_id = contact.id
    with Session(runtime.db) as session, session.begin():
        assert delivery_store.release_held_messages(session, contact_id=contact_id, now=_now()) == 2
    assert [_row(runtime, i).status for i in ids] == ["pending", "pending"]
