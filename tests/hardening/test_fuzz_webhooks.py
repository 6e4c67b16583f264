"""The webhook translators with arbitrary JSON: a batch or "ignored", never an exception.

WhatsApp: `parse_webhook` takes the decoded body as it is. Telegram: the route hands the body to PTB's
`Update.de_json`, whose refusal is the documented "unreadable, acknowledged" outcome; whatever it accepts
goes to `translate_update`, which must answer `ToEngine`, `PrivateOnly` or `Ignored`.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update

from bot.handlers.telegram_inbound import Ignored, PrivateOnly, ToEngine, translate_update
from bot.handlers.whatsapp_inbound import WebhookBatch, parse_webhook
from bot.messages import Channel, Inbound, InboundKind
from tests.helpers.whatsapp import PHONE_NUMBER_ID

DATA = Path(__file__).resolve().parent.parent / "data"
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BOT_USERNAME = "pmks_banten_test_bot"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "text",
            "interactive",
            "button",
            "location",
            "image",
            "button_reply",
            "list_reply",
            "sent",
            "failed",
            "messages",
            "private",
            "group",
            "²",
            "١٢",
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=25,
)


def _fixtures(folder: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((DATA / folder).glob("*.json"))]


WHATSAPP = _fixtures("whatsapp")
TELEGRAM = _fixtures("telegram")
for payload in WHATSAPP:  # our number, so the messages are read rather than skipped as another number's
    for entry in payload.get("entry", []):
        for change in entry.get("changes", []):
            change.get("value", {}).setdefault("metadata", {})["phone_number_id"] = PHONE_NUMBER_ID


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, originals: list[dict[str, Any]]) -> Any:
    """A real payload with a few subtrees replaced by arbitrary JSON or removed."""
    document = copy.deepcopy(draw(st.sampled_from(originals)))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_paths(document)))
        if not path:
            return draw(json_values)
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = draw(json_values)
    return document


def _check_whatsapp(batch: WebhookBatch) -> None:
    assert isinstance(batch, WebhookBatch)
    for inbound in batch.messages:
        assert isinstance(inbound, Inbound) and inbound.channel is Channel.WHATSAPP
        assert inbound.user_id and isinstance(inbound.user_id, str) and isinstance(inbound.message_id, str)
        assert isinstance(inbound.kind, InboundKind) and isinstance(inbound.text, str)
        assert isinstance(inbound.choice, str) and isinstance(inbound.media_id, str)
        if inbound.location is not None:
            assert isinstance(inbound.location.latitude, float) and isinstance(inbound.location.longitude, float)
    for status in batch.statuses:
        assert isinstance(status.wamid, str) and (status.error_code is None or isinstance(status.error_code, int))


@FUZZ
@given(payload=st.one_of(json_values, mutated(WHATSAPP)))
def test_whatsapp_parser_takes_any_json(payload: Any) -> None:
    _check_whatsapp(parse_webhook(payload, phone_number_id=PHONE_NUMBER_ID))


@FUZZ
@given(
    message=st.dictionaries(
        st.sampled_from(
            [
                "id",
                "type",
                "from",
                "from_user_id",
                "text",
                "interactive",
                "button",
                "location",
                "image",
                "group_id",
                "timestamp",
            ]
        ),
        json_values,
        max_size=8,
    ),
    contacts=json_values,
)
def test_whatsapp_message_of_any_shape(message: dict[str, Any], contacts: Any) -> None:
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "metadata": {"phone_number_id": PHONE_NUMBER_ID},
                            "contacts": contacts,
                            "messages": [message],
                            "statuses": [message],
                        },
                    }
                ]
            }
        ],
    }
    _check_whatsapp(parse_webhook(payload, phone_number_id=PHONE_NUMBER_ID))


@pytest.mark.parametrize(
    "message",
    [
        {"id": "wamid.1", "type": "interactive", "from": "628123", "interactive": "not an object"},
        {"id": "wamid.2", "type": "button", "from": "628123", "button": ["a list"]},
        {"id": "wamid.3", "type": "location", "from": "628123", "location": {"latitude": "nan", "longitude": 106.1}},
    ],
)
def test_whatsapp_regressions_are_ignored_not_raised(message: dict[str, Any]) -> None:
    """Found by the properties above: these raised AttributeError, or let a NaN pin through."""
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "changes": [
                    {
                        "field": "messages",
                        "value": {"metadata": {"phone_number_id": PHONE_NUMBER_ID}, "messages": [message]},
                    }
                ]
            }
        ],
    }
    batch = parse_webhook(payload, phone_number_id=PHONE_NUMBER_ID)
    assert batch.messages == [] and batch.ignored == 1


def test_whatsapp_status_with_an_odd_digit_error_code() -> None:
    """Found by the properties above: "²".isdigit() is true but int("²") raises."""
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "metadata": {"phone_number_id": PHONE_NUMBER_ID},
                            "statuses": [
                                {"id": "wamid.X", "status": "failed", "errors": [{"code": "²", "title": "x"}]}
                            ],
                        },
                    }
                ]
            }
        ],
    }
    assert parse_webhook(payload, phone_number_id=PHONE_NUMBER_ID).statuses[0].error_code is None


# --- Telegram ------------------------------------------------------------------------------------------


def _translate(data: Any) -> None:
    try:
        update = Update.de_json(data, None)
    except Exception:  # noqa: BLE001 - the webhook route's documented outcome: logged, acknowledged, ignored
        return
    if update is None:
        return
    outcome = translate_update(update, bot_username=BOT_USERNAME)
    assert isinstance(outcome, ToEngine | PrivateOnly | Ignored)
    if isinstance(outcome, ToEngine):
        inbound = outcome.inbound
        assert inbound.channel is Channel.TELEGRAM and inbound.user_id and inbound.message_id
        if inbound.location is not None:
            assert not math.isnan(inbound.location.latitude)


names = st.text(max_size=20)
users = st.fixed_dictionaries(
    {"id": st.integers(1, 2**40), "is_bot": st.booleans(), "first_name": names},
    optional={"username": names, "language_code": st.sampled_from(["id", "en-US", "", "xx"])},
)
chats = st.fixed_dictionaries(
    {"id": st.integers(-(2**40), 2**40), "type": st.sampled_from(["private", "group", "supergroup", "channel"])}
)
sizes = st.fixed_dictionaries(
    {"file_id": names, "file_unique_id": names, "width": st.integers(0, 5000), "height": st.integers(0, 5000)},
    optional={"file_size": st.integers(0, 10**7)},
)
entities = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["mention", "bot_command", "url", "bold"]),
        "offset": st.integers(0, 50),
        "length": st.integers(0, 50),
    }
)
content = st.fixed_dictionaries(
    {},
    optional={
        "text": st.text(max_size=200),
        "entities": st.lists(entities, max_size=3),
        "location": st.fixed_dictionaries({"latitude": st.floats(-90, 90), "longitude": st.floats(-180, 180)}),
        "photo": st.lists(sizes, max_size=4),
        "voice": st.fixed_dictionaries({"file_id": names, "file_unique_id": names, "duration": st.integers(0, 99)}),
        "sticker": json_values,
        "document": json_values,
        "poll": json_values,
    },
)
messages = st.builds(
    lambda base, extra: {**base, **extra},
    st.fixed_dictionaries(
        {"message_id": st.integers(1, 2**31), "date": st.integers(0, 2**31), "chat": chats}, optional={"from": users}
    ),
    content,
)


@st.composite
def telegram_updates(draw: st.DrawFn) -> dict[str, Any]:
    update: dict[str, Any] = {"update_id": draw(st.integers(0, 2**31))}
    kind = draw(st.sampled_from(["message", "edited_message", "channel_post", "callback_query", "poll", "other"]))
    if kind == "callback_query":
        update[kind] = draw(
            st.fixed_dictionaries(
                {"id": names, "from": users, "chat_instance": names},
                optional={"data": st.text(max_size=64), "message": messages},
            )
        )
    elif kind in ("message", "edited_message", "channel_post"):
        message = draw(messages)
        if draw(st.booleans()):
            message["reply_to_message"] = draw(messages)
        update[kind] = message
    else:
        update[kind] = draw(json_values)
    return update


@FUZZ
@given(data=st.one_of(telegram_updates(), json_values))
def test_telegram_translation_of_any_update_shape(data: Any) -> None:
    _translate(data)


@FUZZ
@given(data=mutated(TELEGRAM))
def test_telegram_translation_of_mutated_real_updates(data: Any) -> None:
    """Real updates with parts replaced by JSON of the wrong type, as a broken or hostile proxy might send."""
    _translate(data)


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "halo"}},  # no chat
        {
            "update_id": 2,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "halo",
                "chat": {"id": 5, "type": "private"},
                "from": {"id": 5, "is_bot": False, "first_name": "a", "language_code": 7},
            },
        },
        {
            "update_id": 3,
            "callback_query": {
                "id": "q",
                "chat_instance": "c",
                "data": "menu:lapor",
                "from": {"id": 5, "is_bot": False, "first_name": "a"},
                "message": {"message_id": 1, "date": 1},
            },
        },  # button on a chat-less message
    ],
)
def test_telegram_type_confused_updates_are_ignored(update: dict[str, Any]) -> None:
    """Found by the property above (a message without a chat, a numeric language code): they raised
    AttributeError in translate_update; telegram_inbound.py now treats them as unreadable."""
    _translate(update)
