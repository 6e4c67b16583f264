"""What an operator watches: Prometheus metrics, request timing, refused requests, JSON log lines.

Two kinds of metrics:
- Counted in this process (inbound and outbound messages per channel, HTTP request latency), in one
  process-wide registry made on first use, never at import. Each instance counts its own; sum them.
- Read from the database at scrape time (storage/gauges.py: outbox depth and oldest age, dead letters,
  open requests and SLA breaches per queue). Every instance reports the same numbers for the whole service; take `max`.

Logs carry event names and ids only. The HTTP middleware logs the route template
(`/api/webchat/sessions/{session_id}/messages`), never the path itself, because a web chat session id
in a URL is as good as a password; for the same reason uvicorn's own access log is switched off.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from datetime import UTC, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storage.database import ping
from storage.gauges import read_gauges

log = logging.getLogger("bot.http")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ServiceMetrics:
    """The counters and the latency histogram of this process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.inbound = Counter(
            "pmks_inbound_messages",
            "Inbound messages handled, per channel",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.outbound = Counter(
            "pmks_outbound_messages",
            "Delivery attempts of outbox messages, per channel",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "pmks_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )


@cache
def metrics() -> ServiceMetrics:
    """The process's metrics, made on first use."""
    return ServiceMetrics()


def count_inbound(channel: str, *, duplicate: bool) -> None:
    metrics().inbound.labels(channel=channel, outcome="duplicate" if duplicate else "processed").inc()


def count_outbound(channel: str, outcome: str) -> None:
    """`outcome`: sent, retry, rate_limited, held, dead, unreachable."""
    metrics().outbound.labels(channel=channel, outcome=outcome).inc()


# --- metrics read from the database at scrape time ----------------------------------------------------


def render_metrics(db: sa.Engine, *, now: datetime | None = None) -> tuple[bytes, str]:
    """The exposition text of this process's counters plus the service's state in the database."""
    scrape = CollectorRegistry(auto_describe=True)
    up = Gauge("pmks_database_up", "1 when the database answered this scrape", registry=scrape)
    try:
        _database_gauges(db, scrape, now or datetime.now(UTC))
        up.set(1)
    except sa.exc.SQLAlchemyError as error:
        log.warning("metrics_database_unavailable error=%s", type(error).__name__)
        up.set(0)
    return generate_latest(metrics().registry) + generate_latest(scrape), CONTENT_TYPE_LATEST


def _database_gauges(db: sa.Engine, registry: CollectorRegistry, now: datetime) -> None:
    depth = Gauge(
        "pmks_outbox_depth", "Outbox messages not yet sent (pending or being sent)", ["channel"], registry=registry
    )
    oldest = Gauge(
        "pmks_outbox_oldest_age_seconds", "Age of the oldest unsent outbox message", ["channel"], registry=registry
    )
    dead = Gauge(
        "pmks_outbox_dead_letters", "Outbox messages given up on (dead letters)", ["channel"], registry=registry
    )
    held = Gauge(
        "pmks_outbox_held",
        "Messages waiting for the citizen to write again (WhatsApp window)",
        ["channel"],
        registry=registry,
    )
    open_requests = Gauge(
        "pmks_open_requests", "Requests not yet closed, per queue", ["queue", "urgency"], registry=registry
    )
    overdue = Gauge(
        "pmks_requests_past_claim_due",
        "Unclaimed requests past their claim SLA, per queue",
        ["queue"],
        registry=registry,
    )
    breaches = Gauge(
        "pmks_sla_breaches",
        "SLA breaches recorded (claim or first contact), per queue and level",
        ["queue", "level"],
        registry=registry,
    )
    due_work = Gauge("pmks_due_work_overdue", "Scheduled work past its due time and not yet done", registry=registry)
    state = read_gauges(db, now=now)
    for channel, count, first in state.unsent:
        depth.labels(channel).set(count)
        oldest.labels(channel).set(max(0.0, (now - first).total_seconds()) if first else 0.0)
    for rows, gauge in ((state.dead, dead), (state.held, held)):
        for channel, count in rows:
            gauge.labels(channel).set(count)
    for queue, urgency, count in state.open_requests:
        open_requests.labels(queue, urgency).set(count)
    for queue, count in state.past_claim_due:
        overdue.labels(queue).set(count)
    for queue, lvl, count in state.sla_breaches:
        breaches.labels(queue, lvl or "queue").set(count)
    due_work.set(state.overdue_work)


def check_database(db: sa.Engine) -> None:
    """Readiness (`/readyz`): the database answers a trivial query, else SQLAlchemyError."""
    ping(db)


# --- HTTP: latency and refused requests ------------------------------------------------------------


class RequestObserver:
    """Pure ASGI middleware (outermost): times every request and logs every refused one by route template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        except Exception:
            status = 503  # bot.web.errors answers an unexpected error with the polite 503
            raise
        finally:
            route = route_template(scope)
            elapsed = time.perf_counter() - started
            metrics().latency.labels(method=scope["method"], route=route, status=str(status)).observe(elapsed)
            if 400 <= status < 500 and status != 422:
                log.warning("request_refused status=%d method=%s route=%s", status, scope["method"], route)
            elif status == 422:
                log.info("request_invalid method=%s route=%s", scope["method"], route)


def route_template(scope: Scope) -> str:
    """The matched route's path template, "static" for files, or "-" when nothing matched."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return path
    if scope.get("path", "").startswith("/static/"):
        return "/static"
    return "-"


# --- JSON log lines ----------------------------------------------------------------------------------


def _frames_only(exc_info: Any) -> str:
    """An exception's type and frames, without its message (SQL parameters may be a citizen's words)."""
    return f"{exc_info[0].__name__} (message withheld)\n" + "".join(traceback.format_tb(exc_info[2]))


class TextFormatter(logging.Formatter):
    """Plain lines; a logged exception shows its type and frames, never its message."""

    def formatException(self, ei: Any) -> str:  # logging's name for it
        return _frames_only(ei)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, event and the message's `key=value` pairs.

    Our log messages are `event key=value ...` (ids, counts, error type names). An exception adds its
    type and frames, never its message: database errors quote SQL parameters, which may be a citizen's words.
    """

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        first, _, trace = message.partition("\n")
        event, *pairs = first.split(" ") if first else [""]
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": event,
        }
        extra = [p for p in pairs if p]
        if extra and all("=" in p for p in extra):
            line.update({key: value for key, _, value in (p.partition("=") for p in extra)})
        elif extra:
            line["message"] = first  # a library's sentence, not one of our events
        if trace:
            line["trace"] = trace
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__
            line["trace"] = _frames_only(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """Root logging for `python -m bot`: plain lines, or JSON lines with `LOG_FORMAT=json`."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # APScheduler logs every 5-second tick at INFO ("Running job ..."): noise that buries our own lines.
    # Our scheduler logs what each tick handled; APScheduler's warnings and errors still come through.
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))
