"""The records the web and the shell show, named as types: a staff account, a request, an appointment...

Why re-exported here: a page or a command names the record it shows (a type hint, a dataclass field) but
does not query it; the queries are service functions over storage/. Importing the classes from here keeps
the rule "web and CLI reach storage only through services" checkable by lint-imports (.importlinter)
without copying the models. Status vocabularies are values, not records: they live in bot/domain/statuses.py.

`persisted_id` comes along for the same reason: a page or command holding a stored row narrows its id
(`int | None` on every model, None only before a flush) to the `int` the services take.
"""

from __future__ import annotations

from storage.models import (
    Appointment,
    AuditLog,
    Queue,
    Request,
    RequestEvent,
    Staff,
    StoredPhoto,
    persisted_id,
)

__all__ = ["Appointment", "AuditLog", "Queue", "Request", "RequestEvent", "Staff", "StoredPhoto", "persisted_id"]
