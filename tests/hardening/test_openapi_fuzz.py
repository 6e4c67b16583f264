"""schemathesis against the OpenAPI of the web chat and the JSON API: no 5xx.

Requests are generated from `/openapi.json` (valid and invalid bodies, parameters, headers) and sent to the
app in process. Half of the web chat calls use a real session id, so bodies reach the conversation engine
instead of stopping at the 404 of an unknown session; JSON API calls carry a real token half of the time.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from bot.app import create_app
from bot.engine import utc_now
from bot.runtime import Runtime
from bot.services.api_tokens import issue_token
from tests.helpers.chat import Chat

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def credentials(runtime: Runtime) -> dict[str, str]:
    session_id = "s" * 32
    Chat(runtime.engine, user_id=__import__("hashlib").sha256(session_id.encode()).hexdigest()).start()
    with Session(runtime.db) as session, session.begin():
        token = issue_token(session, name="fuzz", region=None, now=utc_now())
    return {"session_id": session_id, "token": token}


def test_no_5xx_for_anything_the_schema_allows(runtime: Runtime, credentials: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(runtime=runtime))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {
        "/api/webchat/sessions",
        "/api/webchat/sessions/{session_id}/messages",
        "/readyz",
        "/api/v1/metrics",
    }

    @given(case=st.one_of([op.as_strategy() for op in operations]), real=st.booleans(), token=st.booleans())
    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
    def call(case, real: bool, token: bool) -> None:
        if real and "session_id" in (case.path_parameters or {}):
            case.path_parameters["session_id"] = credentials["session_id"]
        headers = {"Authorization": f"Bearer {credentials['token']}"} if token else {}
        response = case.call(headers=headers)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
        )
        assert "Traceback" not in response.text

    call()


async def test_a_date_outside_the_services_years_is_422(runtime: Runtime, credentials: dict[str, str]) -> None:
    """Found by the property above: `?date_from=0031-01-01` built a business calendar over two thousand years."""
    import httpx

    app = create_app(runtime=runtime)
    headers = {"Authorization": f"Bearer {credentials['token']}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        for params, bound in (({"date_from": "0031-01-01"}, "2020-01-01"), ({"date_to": "9999-12-31"}, "2099-12-31")):
            response = await client.get("/api/v1/metrics", params=params, headers=headers)
            assert response.status_code == 422 and bound in response.text
        ok = await client.get(
            "/api/v1/metrics", params={"date_from": "2026-01-01", "date_to": "2026-03-31"}, headers=headers
        )
        assert ok.status_code == 200 and ok.json()["date_from"] == "2026-01-01"


async def test_a_sequence_number_past_any_integer_column_is_422(runtime: Runtime, credentials: dict[str, str]) -> None:
    """Found by the property above: `?after=9223372036854775808` overflowed the driver, a 5xx."""
    import httpx

    app = create_app(runtime=runtime)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        path = f"/api/webchat/sessions/{credentials['session_id']}/messages"
        assert (await client.get(path, params={"after": 2**63})).status_code == 422
        assert (await client.get(path, params={"after": 2**63 - 1})).json() == {"replies": []}
