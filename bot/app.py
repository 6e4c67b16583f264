"""The FastAPI application factory: web chat, (later) webhooks and dashboard, health."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.middleware.sessions import SessionMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bot.config import Settings
from bot.handlers import enabled_channels
from bot.observability import RequestObserver
from bot.runtime import Runtime, build_runtime
from bot.scheduler.clock import SchedulerClock
from bot.web import api_v1, errors, health, webchat_api
from bot.web.dashboard import (
    account,
    admin,
    admin_staff,
    audit,
    auth,
    casework,
    exports,
    pages,
    reports,
    requests,
    requests_actions,
)
from bot.web.dashboard.deps import templates_for
from bot.web.dashboard.security import SESSION_COOKIE, SESSION_MAX_AGE
from bot.web.limits import BodySizeLimit

WEB_DIR = Path(__file__).resolve().parent / "web"
#: Where /docs and /redoc load their scripts and styles from.
DOCS_ASSETS = "/docs-assets"


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """Build the app; tests pass their own settings (a per-test database) or a ready runtime."""
    runtime = runtime or build_runtime(settings or Settings())
    channels = enabled_channels(runtime)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runtime.sync_queues()
        for channel in channels:  # each registers its sender once connected; Telegram may connect later
            await channel.start()
        await runtime.delivery.start()
        clock = SchedulerClock(runtime.due_work)
        clock.start()
        try:
            yield
        finally:
            clock.stop()
            await runtime.delivery.stop()
            for channel in reversed(channels):
                await channel.stop()
            runtime.close()

    # /docs and /redoc load Swagger UI and ReDoc from the package (fastapi-offline), never from a CDN: an office
    # network without internet still reads the API's documentation. The online validator badge would send
    # the schema's address to validator.swagger.io, so it is off.
    app = FastAPIOffline(
        title="Layanan PMKS dan Konseling Keluarga Banten",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url="/redoc",
        static_url=DOCS_ASSETS,
        swagger_ui_parameters={"validatorUrl": None},
    )
    app.state.runtime = runtime
    app.state.channels = channels  # /readyz names those connected and those still pending
    app.state.templates = templates_for(runtime)
    app.add_middleware(
        SessionMiddleware,
        secret_key=runtime.settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=runtime.settings.cookies_secure,
    )
    app.add_middleware(
        BodySizeLimit, max_bytes=runtime.settings.max_body_bytes, self_limited=(webchat_api.PHOTO_UPLOAD_PATH,)
    )
    app.add_middleware(RequestObserver)  # times every request, logs refused ones (413 too)
    # Outermost: the client's address is the peer's, unless the peer is a proxy in FORWARDED_ALLOW_IPS,
    # whose X-Forwarded-For then names it (login throttling and status lookups count per address).
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=runtime.settings.forwarded_allow_ips)
    errors.install(app)
    # The channels' webhooks first: routes are matched in order, and an update is the most frequent
    # request by far (matching it after every dashboard route cost about 2 % of the CPU per update).
    for channel in channels:
        if channel.router is not None:
            app.include_router(channel.router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    app.include_router(health.router)
    app.include_router(webchat_api.router)
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(requests.router)
    app.include_router(requests_actions.router)
    app.include_router(casework.router)
    app.include_router(admin.router)
    app.include_router(audit.router)
    app.include_router(admin_staff.router)
    app.include_router(account.router)
    app.include_router(reports.router)
    app.include_router(exports.router)
    app.include_router(api_v1.router)
    return app
