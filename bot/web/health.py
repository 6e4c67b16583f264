"""Operations: liveness and readiness for load balancers, Prometheus metrics for monitoring.

`/healthz` says the process answers; `/readyz` that it can do its work (the database answers a trivial
query within READY_TIMEOUT_S), so a load balancer sends traffic only to instances that can commit it.
It also names the channels this instance serves now (`channels`: the web chat always, a platform channel
once connected) and those still connecting in the background (`pending`: Telegram while the Bot API
does not answer). A pending channel does not make the instance unready: the web chat, the dashboard and
the other channels work without it.
"""

from __future__ import annotations

import asyncio
import logging

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from bot.observability import check_database, render_metrics
from bot.web.deps import RuntimeDep

router = APIRouter(tags=["operations"])
log = logging.getLogger("bot.web")

READY_TIMEOUT_S = 3.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Alive: the process answers HTTP."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Ready: the database answers, and which channels are up or pending; 503 when it cannot work."""
    adapters = getattr(request.app.state, "channels", [])
    channels = ["webchat", *(a.channel.value for a in adapters if a.connected)]
    pending = [a.channel.value for a in adapters if not a.connected]

    try:
        await asyncio.wait_for(run_in_threadpool(check_database, runtime.db), READY_TIMEOUT_S)
    except (TimeoutError, sa.exc.SQLAlchemyError) as error:
        log.warning("readiness_failed error=%s", type(error).__name__)
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "channels": channels, "pending": pending},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return JSONResponse({"status": "ready", "database": "ok", "channels": channels, "pending": pending})


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics(runtime: RuntimeDep) -> Response:
    """Prometheus text format: this process's counters and the service's queues as the database has them."""
    body, content_type = await run_in_threadpool(render_metrics, runtime.db)
    return Response(body, media_type=content_type)
