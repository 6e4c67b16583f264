"""Data protection as the citizen and the auditor see it: /dataku, /hapusdata, retention, logs, wording."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
import time_machine
from alembic import command
from alembic.script import ScriptDirectory
from sqlmodel import Session, select

from bot.__main__ import main
from bot.cli.texts import cli_text
from bot.config import Settings
from bot.i18n import load_catalog
from bot.messages import Channel
from bot.runtime import Runtime, build_runtime
from bot.services.case_thread import add_case_note
from bot.services.claims import claim_request, close_request, release_request, reopen_request, transfer_request
from bot.services.privacy import ERASED_TEXT
from storage.casework import request_events
from storage.crypto import EncryptedText
from storage.delivery import mark_sent
from storage.migrate import alembic_config
from storage.models import AuditLog, Contact, OutboxMessage, Request, RequestEvent, Staff
from tests.helpers.chat import Chat
from tests.helpers.dashboard import client, login  # noqa: F401 (client is a fixture)
from tests.helpers.database_scan import images, traces
from tests.helpers.reports import dashboard_page
from tests.helpers.staff import as_staff, link_on_telegram, make_staff

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

WIB = ZoneInfo("Asia/Jakarta")
NAME, PHONE = "Sumarni Wulandari", "081298765432"
STORY = f"Ibu {NAME} dipukul suaminya setiap malam, nomor saya {PHONE}"
CLOSING_NOTE = f"{NAME} sudah aman di rumah adiknya"


def _report(chat: Chat, description: str = STORY, *, phone: str = PHONE, photo: bool = False) -> str:
    chat.start()
    chat.press("menu:lapor")
    chat.send("korban tindak kekerasan")
    chat.press("reg:kota-serang")
    chat.send("kasemen")
    chat.send("gang mawar no 3")
    chat.send(description)
    if photo:
        chat.photo()
        chat.press("photo:done")
    else:
        chat.press("skip")
    chat.press("contact:phone")
    chat.send(phone)
    chat.press("consent:yes")
    chat.press("confirm:send")
    return chat.ticket_code()


def test_dataku_shows_what_is_held(chat: Chat, runtime: Runtime) -> None:
    code = _report(chat, "Anak tidur di emperan toko")
    chat.send("/dataku")
    assert code in chat.text and "Anak tidur di emperan toko" in chat.text and "+6281298765432" in chat.text
    assert "gang mawar no 3" in chat.text and "/hapusdata" in chat.text
    chat.press("menu:dataku")
    assert code in chat.text
    with Session(runtime.db) as session:
        assert session.exec(select(AuditLog).where(AuditLog.action == "citizen_data_view")).all()


def test_dataku_names_the_channel_and_language_in_words(chat: Chat) -> None:
    """ "Web chat, Bahasa Indonesia", not "saluran webchat, bahasa id"; the consent with its date; photos in words."""
    with time_machine.travel(datetime(2026, 11, 24, 10, 0, tzinfo=WIB), tick=False):
        _report(chat, "Anak tidur di emperan toko")
        chat.send("/dataku")
    lines = chat.text.splitlines()
    assert (
        "Chat: Web chat, Bahasa Indonesia. Persetujuan data: diberikan Selasa, 24 Nov 2026 10.00 WIB. "
        "Waktu dihubungi: tidak dipilih."
    ) in lines
    assert "Telepon: +6281298765432. Foto: tidak ada. Janji temu: -." in lines
    assert "webchat" not in chat.text and "bahasa id" not in chat.text


def test_hapusdata_erases_personal_fields_and_keeps_the_ticket(runtime: Runtime) -> None:
    chat = Chat(runtime.engine, user_id="777001", channel=Channel.TELEGRAM)
    code = _report(chat)
    chat.send("/hapusdata")
    assert chat.choice_ids == ["erase:yes", "erase:no"]
    chat.press("erase:no")
    with Session(runtime.db) as session:
        assert session.exec(select(Request)).one().description == STORY
    chat.send("hapus data")
    with time_machine.travel(datetime.now(WIB), tick=False) as traveller:
        chat.press("erase:yes")
        assert "sudah dihapus" in chat.text
        with Session(runtime.db) as session:
            request = session.exec(select(Request)).one()
            assert (request.ticket_code, request.category, request.queue_code) == (
                code,
                "korban_kekerasan",
                "p2tp2a-kota-serang",
            )
            assert (request.description, request.landmark, request.phone, request.photo_refs) == (None, None, None, [])
            assert (
                session.exec(select(RequestEvent).where(RequestEvent.kind == "erased"))
                .one()
                .actor.startswith("citizen:")
            )
            contact = session.get(Contact, request.contact_id)
            assert contact.consent_at is None and contact.platform_user_id == "777001"  # until the reply is out
            assert session.exec(select(AuditLog).where(AuditLog.action == "erase")).one()
        traveller.shift(timedelta(minutes=11))
        runtime.due_work.run_due()
    with Session(runtime.db) as session:
        contact = session.exec(select(Contact)).one()
        assert contact.platform_user_id.startswith("erased:") and contact.address is None
        texts = " ".join(m.payload["text"] for m in session.exec(select(OutboxMessage)))
        assert NAME not in texts and PHONE[1:] not in texts
    Chat(runtime.engine, user_id="777001", channel=Channel.TELEGRAM).send("status " + code)
    with Session(runtime.db) as session:  # the same person writing again is a stranger now
        assert len(session.exec(select(Contact)).all()) == 2


def test_retention_purges_requests_closed_long_ago(runtime: Runtime, capsys: pytest.CaptureFixture) -> None:
    old, recent = (Chat(runtime.engine, user_id=u) for u in ("lama", "baru"))
    siti = make_staff(runtime, "siti", queues=("p2tp2a-kota-serang",))
    start = datetime(2025, 6, 2, 9, 0, tzinfo=WIB)
    with time_machine.travel(start, tick=False) as traveller:
        codes = {}
        for chat, closed_days_ago in ((old, 400), (recent, 300)):
            traveller.move_to(start + timedelta(days=400 - closed_days_ago))
            codes[chat.user_id] = _report(chat)
            with Session(runtime.db) as session:
                request_id = session.exec(select(Request.id).where(Request.ticket_code == codes[chat.user_id])).one()
            as_staff(runtime, siti, claim_request, request_id=request_id, routing=runtime.routing)
            as_staff(runtime, siti, close_request, request_id=request_id, outcome="resolved", note=CLOSING_NOTE)
        traveller.move_to(start + timedelta(days=400))
        monkey_env = {"DATABASE_URL": runtime.settings.database_url}
        with pytest.MonkeyPatch.context() as mp:
            for key, value in monkey_env.items():
                mp.setenv(key, value)
            assert main(["retention", "--dry-run"]) == 0
        listed = capsys.readouterr().out
        assert codes["lama"] in listed and codes["baru"] not in listed
        assert listed.endswith(
            cli_text("id", "retention_would_purge", count=1, days=runtime.settings.retention_days) + "\n"
        )
        with Session(runtime.db) as session:  # a dry run changes nothing
            assert all(r.description == STORY for r in session.exec(select(Request)))
        traveller.move_to(datetime(2026, 7, 8, 2, 0, tzinfo=WIB))  # the nightly purge
        runtime.due_work.run_due()
    with Session(runtime.db) as session:
        by_code = {r.ticket_code: r for r in session.exec(select(Request))}
        assert by_code[codes["lama"]].description is None and by_code[codes["lama"]].phone is None
        assert by_code[codes["baru"]].description == STORY
    old_id, recent_id = by_code[codes["lama"]].id, by_code[codes["baru"]].id
    events, _, outcome = _raw_staff_words(runtime, old_id)
    assert [e.note for e in events if e.note] == [ERASED_TEXT] and outcome == ERASED_TEXT
    assert [e.kind for e in events] == ["created", "status", "status", "purged"]  # rows and times kept
    assert NAME not in dashboard_page(runtime, "siti", f"/dashboard/requests/{old_id}")
    events, _, outcome = _raw_staff_words(runtime, recent_id)
    assert [e.note for e in events if e.note] == [CLOSING_NOTE] and outcome == CLOSING_NOTE
    assert NAME in dashboard_page(runtime, "siti", f"/dashboard/requests/{recent_id}")  # the page would show it


def test_logs_never_carry_the_citizens_words(chat: Chat, runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    _report(chat)
    runtime.due_work.run_due()
    logged = caplog.text
    assert NAME not in logged and PHONE not in logged and PHONE[1:] not in logged and "dipukul" not in logged


#: Words a family member must not read in a message that arrives unasked.
DISCREET = (
    "kekerasan",
    "kdrt",
    "korban",
    "perkosa",
    "dipukul",
    "p2tp2a",
    "uptd ppa",
    "violence",
    "abuse",
    "rape",
    "victim",
    "trafficking",
    "napza",
    "hiv",
)
#: Catalog sections whose texts are sent by the scheduler or arrive without the citizen asking.
SCHEDULED = (
    "update.",
    "followup.",
    "appt.offer",
    "appt.reminder",
    "appt.feedback",
    "appt.cancelled",
    "case.from_counselor",
    "case.safe_question",
)


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_scheduled_message_is_discreet(language: str) -> None:
    catalog = load_catalog()
    keys = [k for k in catalog.keys(language) if k.startswith(SCHEDULED)]
    assert len(keys) >= 10
    for key in keys:
        text = catalog._texts[language][key].lower()
        found = [word for word in DISCREET if re.search(rf"\b{re.escape(word)}\b", text)]
        assert not found, f"{language}:{key} names {found}"
        answers_to_a_tap = (".thanks_", ".better_")  # replies to the citizen's own button, not unasked
        if not any(part in key for part in answers_to_a_tap):
            assert text.startswith(("pesan dari", "pengingat dari", "message from", "reminder from")), key


#: What staff type when they release, transfer, close or reopen: their words may retell the story.
STAFF_WORDS = {
    "release": f"Ibu {NAME} dipukul lagi, saya cuti",
    "transfer": f"{NAME} pindah ke rumah adiknya",
    "close": f"{NAME} aman di rumah aman",
    "reopen": f"{NAME} dipukul lagi",
}


def _work_the_case(runtime: Runtime) -> int:
    """A counselor's whole round on the request, typing STAFF_WORDS; returns the request id."""
    siti = make_staff(runtime, "siti", queues=("p2tp2a-kota-serang",))
    rina = make_staff(runtime, "rina", queues=("p2tp2a-kota-serang",))
    with Session(runtime.db) as session:
        request_id = session.exec(select(Request.id)).one()
    as_staff(runtime, siti, claim_request, request_id=request_id, routing=runtime.routing)
    as_staff(runtime, siti, release_request, request_id=request_id, reason=STAFF_WORDS["release"])
    as_staff(runtime, siti, claim_request, request_id=request_id, routing=runtime.routing)
    with Session(runtime.db) as session:
        to_rina = session.get(Staff, rina.id)
    as_staff(runtime, siti, transfer_request, request_id=request_id, reason=STAFF_WORDS["transfer"], to_staff=to_rina)
    as_staff(runtime, rina, close_request, request_id=request_id, outcome="resolved", note=STAFF_WORDS["close"])
    as_staff(runtime, rina, reopen_request, request_id=request_id, reason=STAFF_WORDS["reopen"])
    return request_id


def _raw_staff_words(runtime: Runtime, request_id: int) -> tuple[list[sa.Row], list[str], str | None]:
    """The request's events (kind, to_status, at, note), case notes and closing note, read with raw SQL.

    Raw SQL past the ORM's identity map, so a blanking the session only pretended to do would show;
    the encrypted columns are decrypted as the service would read them.
    """

    def rows(conn: sa.Connection, sql: str, column: str) -> list[sa.Row]:
        return list(conn.execute(sa.text(sql).columns(**{column: EncryptedText()}), {"id": request_id}))

    with runtime.db.connect() as conn:
        events = rows(
            conn, "SELECT kind, to_status, at, note FROM request_event WHERE request_id = :id ORDER BY id", "note"
        )
        notes = [
            row.text for row in rows(conn, "SELECT text FROM request_note WHERE request_id = :id ORDER BY id", "text")
        ]
        outcome = rows(conn, "SELECT outcome_note FROM request WHERE id = :id", "outcome_note")[0].outcome_note
    return events, notes, outcome


def _raw_dump(runtime: Runtime, tables: tuple[str, ...]) -> dict[str, str]:
    """Every row of `tables` as plain text, read with raw SQL as from a stolen copy of the database."""
    with runtime.db.connect() as conn:
        return {
            table: " ".join(str(value) for row in conn.execute(sa.text(f"SELECT * FROM {table}")) for value in row)
            for table in tables
        }


def test_database_file_alone_reveals_no_story_or_phone(chat: Chat, runtime: Runtime) -> None:
    """Read the tables with raw SQL, as someone with a stolen copy of the database would."""
    _report(chat)
    chat.send("/dataku")
    request_id = _work_the_case(runtime)
    tables = ("request", "conversation", "outbox_message", "due_work", "contact", "request_event")
    for table, dump in _raw_dump(runtime, tables).items():
        assert "dipukul" not in dump and NAME not in dump and "81298765432" not in dump, table
    with Session(runtime.db) as session:  # and the service itself still reads them
        request = session.exec(select(Request)).one()
        assert request.description == STORY and request.phone == "+6281298765432"
        notes = [e.note for e in request_events(session, request_id=request_id) if e.note]
        assert notes == list(STAFF_WORDS.values())


def test_staff_words_written_before_0007_are_encrypted_by_it(chat: Chat, runtime: Runtime) -> None:
    """Down to the schema that kept reasons in the plain JSON `detail`, then up again: none stays readable."""
    _report(chat)
    request_id = _work_the_case(runtime)
    runtime.db.dispose()
    config = alembic_config(runtime.settings.database_url)
    command.downgrade(config, ScriptDirectory.from_config(config).get_revision("0007").down_revision)
    before = _raw_dump(runtime, ("request_event",))["request_event"]
    assert all(words in before for words in STAFF_WORDS.values())  # as the service stored them until now
    runtime.db.dispose()
    command.upgrade(config, "head")
    assert NAME not in _raw_dump(runtime, ("request_event",))["request_event"]
    with Session(runtime.db) as session:
        events = request_events(session, request_id=request_id)
        assert [e.note for e in events if e.note] == list(STAFF_WORDS.values())
        assert [e.detail.get("action") for e in events if e.note] == ["release", "transfer", None, "reopen"]


async def test_staff_see_that_data_was_erased_at_the_citizens_request(
    chat: Chat, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    code = _report(chat)
    request_id = _work_the_case(runtime)
    dewi = make_staff(runtime, "dewi", queues=("p2tp2a-kota-serang",))
    as_staff(runtime, dewi, add_case_note, request_id=request_id, text=f"{NAME} tinggal di gang mawar no 3")
    before, notes, outcome = _raw_staff_words(runtime, request_id)
    assert [e.note for e in before if e.note] == list(STAFF_WORDS.values()) and NAME in notes[0] and NAME in outcome
    chat.send("/hapusdata")
    chat.press("erase:yes")
    after, notes, outcome = _raw_staff_words(runtime, request_id)
    assert [e.note for e in after if e.note] == [ERASED_TEXT] * len(STAFF_WORDS)
    assert notes == [ERASED_TEXT] and outcome == ERASED_TEXT
    # The rows stay with their kind, status and time: statistics and response times are read from them.
    assert [e[:3] for e in after] == [*(e[:3] for e in before), ("erased", None, after[-1].at)]
    await login(client, "dewi")
    page = (await client.get(f"/dashboard/requests/{request_id}")).text
    assert code in page and "Data pribadi dihapus atas permintaan warga" in page and ERASED_TEXT in page
    assert "gang mawar" not in page and "dipukul" not in page and "81298765432" not in page and NAME not in page


#: What the database must not hold anywhere once the request is purged or erased: the story's name, its
#: place and the phone number (its digits match "0812..." as typed and "+62812..." as stored).
TRACES = (NAME, "gang mawar", PHONE[1:])


@pytest.fixture
def keeping_runtime(database_url: str) -> Iterator[Runtime]:
    """A service whose nightly pruning keeps messages and work for ten years: only erasure or purge may blank them."""
    runtime = build_runtime(
        Settings(_env_file=None, database_url=database_url, outbox_keep_days=3650, due_work_keep_days=3650)
    )
    runtime.sync_queues()
    yield runtime
    runtime.close()


def _report_its_words_copied(runtime: Runtime, citizen: Chat) -> int:
    """The report with a photo, then every path that copies its words: `/dataku`, the case card and messages
    both ways in a counselor's Telegram chat, a case note, the closing. Returns the request id."""
    _report(citizen, photo=True)
    citizen.send("/dataku")
    siti = make_staff(runtime, "siti", queues=("p2tp2a-kota-serang",))
    link_on_telegram(runtime, siti, user_id="90001")
    counselor = Chat(runtime.engine, user_id="90001", channel=Channel.TELEGRAM)
    with Session(runtime.db) as session:
        request_id = session.exec(select(Request.id)).one()
    counselor.press(f"sclaim:{request_id}")  # the case card quotes the story
    counselor.press(f"smsg:{request_id}")
    counselor.send(f"Ibu {NAME} sudah aman? Masih di gang mawar?")
    runtime.due_work.run_due()
    citizen.send(f"Ya, hubungi saya di {PHONE}")  # relayed into the counselor's chat
    counselor.press(f"snote:{request_id}")
    counselor.send(f"{NAME} pindah ke rumah adiknya")
    counselor.press(f"sclose:{request_id}")
    counselor.press(f"sout:{request_id}:resolved")
    runtime.due_work.run_due()
    assert traces(runtime.db, TRACES) and images(runtime.db) == ["stored_photo.data"]  # there to be found
    return request_id


def _send_everything_queued(runtime: Runtime, now: datetime) -> None:
    """What the outbox worker does when every platform answers: each queued message marked sent."""
    with Session(runtime.db) as session, session.begin():
        for message_id in session.exec(select(OutboxMessage.id).where(OutboxMessage.status == "pending")).all():
            mark_sent(session, message_id=message_id, platform_message_id=f"p{message_id}", now=now)


@pytest.mark.parametrize("delivered", [True, False], ids=["sent", "still-queued"])
def test_nothing_of_the_request_is_left_anywhere_after_the_retention_purge(
    keeping_runtime: Runtime, delivered: bool
) -> None:
    runtime = keeping_runtime
    citizen = Chat(runtime.engine, user_id="777002", channel=Channel.TELEGRAM)
    start = datetime(2025, 6, 2, 10, 0, tzinfo=WIB)
    with time_machine.travel(start, tick=False) as traveller:
        request_id = _report_its_words_copied(runtime, citizen)
        if delivered:
            _send_everything_queued(runtime, datetime.now(UTC))
        traveller.move_to(datetime(2026, 7, 8, 2, 0, tzinfo=WIB))  # the nightly purge, past the retention
        runtime.due_work.run_due()
    assert traces(runtime.db, TRACES) == [] and images(runtime.db) == []
    with Session(runtime.db) as session:
        purged = session.get(Request, request_id)
        assert purged.status == "resolved" and purged.description is None
        assert session.exec(select(OutboxMessage)).all(), "the purge blanks messages; pruning is not what emptied them"


@pytest.mark.parametrize("delivered", [True, False], ids=["sent", "still-queued"])
def test_nothing_of_the_request_is_left_anywhere_after_hapusdata(keeping_runtime: Runtime, delivered: bool) -> None:
    runtime = keeping_runtime
    citizen = Chat(runtime.engine, user_id="777003", channel=Channel.TELEGRAM)
    with time_machine.travel(datetime(2025, 6, 2, 10, 0, tzinfo=WIB), tick=False) as traveller:
        _report_its_words_copied(runtime, citizen)
        if delivered:
            _send_everything_queued(runtime, datetime.now(UTC))
        citizen.send("/hapusdata")
        citizen.press("erase:yes")
        assert "sudah dihapus" in citizen.text
        assert traces(runtime.db, TRACES) == [] and images(runtime.db) == []  # at once, not when the ids go
        traveller.shift(timedelta(minutes=11))
        runtime.due_work.run_due()
    assert traces(runtime.db, TRACES) == []
    with Session(runtime.db) as session:
        assert session.exec(select(Contact).where(Contact.platform_user_id == "777003")).first() is None
