"""Login throttling through the login form: per account and per real client address, with a growing lock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
import pytest
import time_machine
from fastapi import FastAPI
from sqlmodel import Session, select

from bot.app import create_app
from bot.config import Settings
from bot.runtime import Runtime
from storage.models import LoginThrottle
from tests.helpers.dashboard import CSRF, LK3
from tests.helpers.staff import PASSWORD, make_staff

pytestmark = pytest.mark.clock  # travels in time to wait out the locks

PROXY = "10.0.0.5"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Locks at the 3rd failure per account and the 5th per address (5 and 20 by default): fewer argon2 rounds."""
    return Settings(
        _env_file=None,
        database_url=database_url,
        forwarded_allow_ips=PROXY,
        login_failures_per_account=3,
        login_failures_per_address=5,
    )


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime=runtime)


@pytest.fixture
def peer(app: FastAPI) -> Callable[[str], AsyncIterator[httpx.AsyncClient]]:
    """A browser whose connection comes from `address` (a proxy, an office's NAT, a stranger)."""

    @asynccontextmanager
    async def connect(address: str) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client

    return connect


async def log_in(
    client: httpx.AsyncClient, username: str, password: str, forwarded: str | None = None
) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    token = CSRF.search((await client.get("/login")).text).group(1)
    return await client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}, headers=headers
    )


async def test_typos_lock_one_account_not_the_office_and_the_lock_doubles(runtime: Runtime, peer) -> None:
    make_staff(runtime, "budi", queues=(LK3,))
    make_staff(runtime, "siti", queues=(LK3,))
    async with peer("192.0.2.10") as office:  # everyone behind the office's one address
        with time_machine.travel(datetime.now(UTC), tick=False) as clock:
            assert [(await log_in(office, "budi", f"salah-{n}")).status_code for n in range(3)] == [401] * 3
            locked = await log_in(office, "budi", PASSWORD)
            assert (locked.status_code, locked.headers["retry-after"]) == (429, "60")
            assert "untuk akun ini" in locked.text and "1 menit" in locked.text
            assert (await log_in(office, "siti", PASSWORD)).status_code == 303  # a colleague gets in

            clock.shift(61)
            assert (await log_in(office, "budi", "salah-lagi")).status_code == 401  # this failure locks 2 minutes
            clock.shift(61)
            still = await log_in(office, "budi", PASSWORD)
            assert (still.status_code, still.headers["retry-after"]) == (429, "59")
            clock.shift(60)
            assert (await log_in(office, "budi", PASSWORD)).status_code == 303
    with Session(runtime.db) as session:
        rows = session.exec(select(LoginThrottle)).all()
    # the account's failures are forgotten at its login; the address keeps its count (4 of 5) for an hour
    assert [(row.subject.split(":")[0], row.failures) for row in rows] == [("address", 4)]


async def test_forwarded_addresses_count_only_from_a_configured_proxy(runtime: Runtime, peer) -> None:
    make_staff(runtime, "siti", queues=(LK3,))
    async with peer(PROXY) as proxy, peer("198.51.100.9") as stranger:
        # someone at 203.0.113.7 tries five usernames once each: no account is locked, that address is
        tries = [(await log_in(proxy, f"tamu{n}", "tebakan", forwarded="203.0.113.7")).status_code for n in range(5)]
        assert tries == [401] * 5
        locked = await log_in(proxy, "siti", PASSWORD, forwarded="203.0.113.7")
        assert locked.status_code == 429 and "dari jaringan ini" in locked.text
        assert (await log_in(proxy, "siti", PASSWORD, forwarded="203.0.113.8")).status_code == 303
        # a peer that is not a configured proxy cannot claim an address: it counts as itself
        assert (await log_in(stranger, "siti", PASSWORD, forwarded="203.0.113.7")).status_code == 303
