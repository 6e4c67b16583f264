"""Staff accounts: argon2 passwords, the first admin, and one-time codes to link Telegram."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from bot.domain.regions import PROVINCE, REGION_CODES
from bot.domain.tickets import ALPHABET
from storage.models import Staff
from storage.staff import add_staff, queue_codes, staff_by_link_code, staff_by_username

ROLES = ("counselor", "coordinator", "admin")
LINK_CODE_LIFETIME = timedelta(minutes=15)
_hasher = PasswordHasher()
# Verifying against this when the username is unknown keeps the answer time the same either way,
# so response times do not tell an attacker which usernames exist.
_DUMMY_HASH = _hasher.hash("no-such-user-" + secrets.token_hex(8))


class StaffInputError(ValueError):
    """A staff account request that cannot be carried out; `key` (a catalog key) and `params` say why.

    A key, not English text, because the reason is shown to an admin in the dashboard's language.
    """

    def __init__(self, key: str, **params: str) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def create_staff(
    session: Session,
    *,
    username: str,
    role: str,
    queues: list[str],
    region: str | None,
    now: datetime,
    password: str | None = None,
    display_name: str | None = None,
    password_hash: str | None = None,
) -> tuple[Staff, str | None]:
    """Create an account; returns it and the generated password when none was given (shown once).

    `password_hash` lets a caller that already hashed `password` (tests making many accounts) skip
    argon2's deliberate slowness; the password is still checked for length.
    """
    _check(session, username=username, role=role, queues=queues, region=region)
    generated = None if password else secrets.token_urlsafe(12)
    secret = password or generated
    if len(secret) < 10:
        raise StaffInputError("staff_input.password_short")
    staff = add_staff(session, username=username, display_name=display_name or username,
                      password_hash=password_hash or _hasher.hash(secret), role=role, region=region,
                      queues=queues, now=now)
    return staff, generated


def _check(session: Session, *, username: str, role: str, queues: list[str], region: str | None) -> None:
    if not username or len(username) > 64 or not username.replace(".", "").replace("_", "").replace("-", "").isalnum():
        raise StaffInputError("staff_input.username_invalid")
    if staff_by_username(session, username=username) is not None:
        raise StaffInputError("staff_input.username_taken", username=username)
    if role not in ROLES:
        raise StaffInputError("staff_input.role_invalid", roles=", ".join(ROLES))
    if role == "coordinator" and region not in (*REGION_CODES, PROVINCE):
        raise StaffInputError("staff_input.region_needed")
    unknown = set(queues) - queue_codes(session)
    if unknown:
        raise StaffInputError("staff_input.queue_unknown", queues=", ".join(sorted(unknown)))
    if role == "counselor" and not queues:
        raise StaffInputError("staff_input.queue_needed")


def authenticate(session: Session, *, username: str, password: str) -> Staff | None:
    """The active staff member with this username and password, else None (in constant-ish time)."""
    staff = staff_by_username(session, username=username)
    try:
        _hasher.verify(staff.password_hash if staff else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if staff is None or not staff.active:
        return None
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = _hasher.hash(password)
    return staff


def ensure_first_admin(session: Session, *, now: datetime) -> str | None:
    """Create the `admin` account on first start; returns its password to print once, else None."""
    if session.exec(select(Staff.id).where(Staff.role == "admin")).first() is not None:
        return None
    _staff, password = create_staff(session, username="admin", role="admin", queues=[], region=PROVINCE, now=now)
    return password


def new_link_code(session: Session, *, staff: Staff, now: datetime) -> str:
    """A one-time code for `/tautkan KODE` in Telegram; only its hash is kept, for 15 minutes."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(8))
    staff.link_code_hash = _code_hash(code)
    staff.link_code_expires_at = now + LINK_CODE_LIFETIME
    return code


def link_telegram(session: Session, *, code: str, contact_id: int, now: datetime) -> Staff | None:
    """Link the Telegram contact to the staff member whose code this is; the code then stops working."""
    staff = staff_by_link_code(session, code_hash=_code_hash(code.strip().upper().replace("-", "")), now=now)
    if staff is None:
        return None
    previous = session.exec(select(Staff).where(Staff.telegram_contact_id == contact_id)).first()
    if previous is not None and previous.id != staff.id:
        previous.telegram_contact_id = None
        session.flush()
    staff.telegram_contact_id = contact_id
    staff.link_code_hash = None
    staff.link_code_expires_at = None
    return staff


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
