"""Everything a running service shares, built once by the app factory and handed to each part."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session

from bot.config import Settings
from bot.delivery.worker import OutboxWorker
from bot.domain.regions import load_regions
from bot.engine import ConversationEngine, utc_now
from bot.i18n import Catalog, load_catalog
from bot.i18n.render import Renderer
from bot.routing import RoutingTable, load_routing
from bot.scheduler.runner import DueWorkRunner
from bot.services.pruning import KeepWindows
from storage import crypto
from storage.database import create_db_engine
from storage.requests import ensure_queues


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    db: sa.Engine
    catalog: Catalog
    routing: RoutingTable
    engine: ConversationEngine
    renderer: Renderer
    delivery: OutboxWorker
    due_work: DueWorkRunner

    def sync_queues(self) -> None:
        """Make the queue rows match the routing file (run on start)."""
        with Session(self.db) as session, session.begin():
            ensure_queues(session, queues=((q.code, q.agency, q.region, q.name) for q in self.routing.queues()))

    def close(self) -> None:
        self.db.dispose()


def open_database(settings: Settings) -> sa.Engine:
    """The database alone, for a shell command that needs neither the routing file nor the workers."""
    return create_db_engine(settings.database_url)


def build_runtime(settings: Settings) -> Runtime:
    """Load the routing file (a bad one raises RoutingFileError naming the line) and wire the parts."""
    routing = load_routing(settings.routing_file)
    crypto.configure(settings.fernet_keys)
    db = open_database(settings)
    catalog = load_catalog()
    renderer = Renderer(catalog, settings.tz, numbers=settings.emergency_numbers)
    engine = ConversationEngine(db=db, settings=settings, catalog=catalog, regions=load_regions(), routing=routing)
    delivery = OutboxWorker(db=db, settings=settings, clock=utc_now)
    keep = KeepWindows(
        messages=timedelta(days=settings.outbox_keep_days),
        work=timedelta(days=settings.due_work_keep_days),
        inbound_ids=timedelta(days=settings.inbound_dedupe_days),
        unread_web_messages=timedelta(days=settings.webchat_session_days),
    )
    due = DueWorkRunner(
        db=db,
        renderer=renderer,
        calendar=routing.calendar,
        retention_days=settings.retention_days,
        keep=keep,
        clock=utc_now,
    )
    return Runtime(
        settings=settings,
        db=db,
        catalog=catalog,
        routing=routing,
        engine=engine,
        renderer=renderer,
        delivery=delivery,
        due_work=due,
    )
