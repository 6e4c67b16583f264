"""A database made by the oldest migration, with data in it, upgrades to head without loss, on both engines.

Rows are written with SQL valid for revision 0001 (personal fields as Fernet tokens, as the service wrote
them then), the schema is upgraded to head, and everything is read back through today's models; a
conversation that was halfway through a form goes on at its question.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from bot.config import Settings
from bot.flows.state import from_row
from bot.messages import Channel
from bot.runtime import build_runtime
from storage import crypto
from storage.migrate import alembic_config, upgrade_to_head
from storage.models import (
    Contact,
    Conversation,
    OutboxMessage,
    OutboxWamid,
    ProcessedInbound,
    Queue,
    Request,
    RequestEvent,
)
from tests.conftest import PG_URL, require
from tests.helpers.chat import Chat

CREATED = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
DRAFT = {"answers": {"group": "anak", "category": "anak_jalanan", "region": "kota-serang"}, "scratch": {}}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    require(bool(PG_URL), "TEST_DATABASE_URL is not set (PostgreSQL tests)")
    name = f"pmks_upgrade_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _sealed(value: object) -> str:
    plain = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return crypto._active().encrypt(plain.encode()).decode("ascii")


def _insert_at_0001(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    t = CREATED
    with engine.begin() as conn:
        insert = lambda sql, **values: conn.execute(sa.text(sql), values)  # noqa: E731
        insert(
            "INSERT INTO queue (code, agency, region, name) VALUES ('dinsos-kota-serang', 'dinsos', "
            "'kota-serang', 'Dinas Sosial Kota Serang')"
        )
        for cid, channel, user in ((1, "webchat", "a" * 64), (2, "telegram", "81234567"), (3, "whatsapp", "628123")):
            insert(
                "INSERT INTO contact (id, channel, platform_user_id, address, language, consent_at, created_at, "
                "last_inbound_at) VALUES (:id, :ch, :u, NULL, 'id', :t, :t, :t)",
                id=cid,
                ch=channel,
                u=user,
                t=t,
            )
        insert(
            "INSERT INTO conversation (id, contact_id, flow, step, data, updated_at) VALUES "
            "(1, 2, 'report_sighting', 'kecamatan', :data, :t)",
            data=_sealed(DRAFT),
            t=t,
        )
        insert(
            "INSERT INTO request (id, ticket_code, kind, category, region, latitude, longitude, landmark, "
            "description, photo_refs, anonymous, danger_flag, urgency, queue_code, status, claim_due_at, "
            "first_contact_due_at, created_at, contact_id) VALUES (1, 'ABC-DEF', 'sighting', 'anak_jalanan', "
            "'kota-serang', -6.12, 106.15, :landmark, :description, :photos, false, true, 'normal', "
            "'dinsos-kota-serang', 'new', :due, :due2, :t, 1)",
            landmark=_sealed("depan pasar rau"),
            description=_sealed("anak kecil tidur di trotoar"),
            photos=json.dumps(["photo-1"]),
            due=t + timedelta(days=1),
            due2=t + timedelta(days=3),
            t=t,
        )
        insert(
            "INSERT INTO request_event (id, request_id, kind, from_status, to_status, actor, at, detail) VALUES "
            "(1, 1, 'created', NULL, 'new', 'citizen:1', :t, :detail)",
            t=t,
            detail=json.dumps({"queue": "x"}),
        )
        insert(
            "INSERT INTO outbox_message (id, contact_id, channel, payload, status, attempts, next_attempt_at, "
            "created_at, sent_at, platform_message_id) VALUES (1, 2, 'telegram', :p, 'sent', 1, :t, :t, :t, '77')",
            p=_sealed({"text": "Halo!", "choices": []}),
            t=t,
        )
        insert(
            "INSERT INTO outbox_message (id, contact_id, channel, payload, status, attempts, next_attempt_at, "
            "created_at, sent_at, platform_message_id) VALUES (2, 3, 'whatsapp', :p, 'delivered', 1, :t, :t, :t, "
            "'wamid.OLD')",
            p=_sealed({"text": "Halo!", "choices": []}),
            t=t,
        )
        insert("INSERT INTO processed_inbound (channel, message_id, processed_at) VALUES ('telegram', '9001', :t)", t=t)
        if conn.dialect.name == "postgresql":  # explicit ids: move the sequences past them, as the service would have
            for table in ("contact", "conversation", "request", "request_event", "outbox_message"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 10)")
    engine.dispose()


def test_oldest_schema_with_data_upgrades_to_head_without_loss(empty_database_url: str) -> None:
    settings = Settings(_env_file=None, database_url=empty_database_url)
    crypto.configure(settings.fernet_keys)
    command.upgrade(alembic_config(empty_database_url), "0001")
    _insert_at_0001(empty_database_url)
    upgrade_to_head(empty_database_url)

    runtime = build_runtime(settings)
    runtime.sync_queues()
    try:
        with Session(runtime.db) as session:
            contacts = session.exec(select(Contact).order_by(Contact.id)).all()
            assert [(c.channel, c.platform_user_id, c.created_at) for c in contacts] == [
                ("webchat", "a" * 64, CREATED),
                ("telegram", "81234567", CREATED),
                ("whatsapp", "628123", CREATED),
            ]
            request = session.get(Request, 1)
            assert (request.ticket_code, request.landmark, request.description) == (
                "ABC-DEF",
                "depan pasar rau",
                "anak kecil tidur di trotoar",
            )
            assert (request.photo_refs, request.danger_flag, request.assigned_staff_id) == (["photo-1"], True, None)
            assert session.exec(select(RequestEvent)).one().to_status == "new"
            assert session.get(OutboxMessage, 1).payload == {"text": "Halo!", "choices": []}
            assert session.get(ProcessedInbound, ("telegram", "9001")) is not None
            part = session.get(OutboxWamid, "wamid.OLD")  # statuses of a message sent before still find it
            assert (part.outbox_id, part.status) == (2, "delivered")
            assert session.get(Queue, "dinsos-kota-serang").name == "Dinas Sosial Kota Serang"
            assert session.exec(select(Conversation)).one().data == DRAFT
        # The citizen who was choosing a kecamatan before the upgrade goes on from there ...
        citizen = Chat(runtime.engine, user_id="81234567", channel=Channel.TELEGRAM)
        assert citizen.send("kasemen", message_id="9001") == []  # ... an update seen before stays seen
        citizen.send("kasemen")
        assert citizen.last[-1].request_location  # the next question: where exactly
        with Session(runtime.db) as session:
            row = session.exec(select(Conversation)).one()
            answers = from_row(row.flow, row.step, row.data).form.answers
        assert answers == {**DRAFT["answers"], "kecamatan": answers["kecamatan"]}
    finally:
        runtime.close()
