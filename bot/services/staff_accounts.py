"""Staff accounts: argon2 passwords and their resets, the first admin, queues and region, Telegram link codes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session

from bot.domain.regions import PROVINCE, REGION_CODES
from bot.domain.tickets import ALPHABET
from bot.services.access import PermissionDenied, StaffView
from bot.services.staff_sessions import end_all_sessions
from storage.models import Staff, persisted_id
from storage.staff import (
    add_staff,
    any_admin,
    audit,
    queue_codes,
    staff_by_contact,
    staff_by_link_code,
    staff_by_username,
)
from storage.staff_sessions import account_subject, forget_throttles

ROLES = ("counselor", "coordinator", "admin")
LINK_CODE_LIFETIME = timedelta(minutes=15)
PASSWORD_MIN_LENGTH = 10
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
    _check_username(session, username=username)
    check_assignment(session, role=role, queues=queues, region=region)
    secret = password or secrets.token_urlsafe(12)
    generated = None if password else secret
    _check_password(secret)
    staff = add_staff(
        session,
        username=username,
        display_name=display_name or username,
        password_hash=password_hash or _hasher.hash(secret),
        role=role,
        region=region,
        queues=queues,
        now=now,
    )
    return staff, generated


def _check_username(session: Session, *, username: str) -> None:
    if not username or len(username) > 64 or not username.replace(".", "").replace("_", "").replace("-", "").isalnum():
        raise StaffInputError("staff_input.username_invalid")
    if staff_by_username(session, username=username) is not None:
        raise StaffInputError("staff_input.username_taken", username=username)


def _check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise StaffInputError("staff_input.password_short")


def check_assignment(session: Session, *, role: str, queues: list[str], region: str | None) -> None:
    """What a role needs: a coordinator a region, a counselor at least one queue; queues must exist."""
    if role not in ROLES:
        raise StaffInputError("staff_input.role_invalid", roles=", ".join(ROLES))
    if role == "coordinator" and region not in (*REGION_CODES, PROVINCE):
        raise StaffInputError("staff_input.region_needed")
    if region is not None and region not in (*REGION_CODES, PROVINCE):
        raise StaffInputError("staff_input.region_unknown", region=region)
    unknown = set(queues) - queue_codes(session)
    if unknown:
        raise StaffInputError("staff_input.queue_unknown", queues=", ".join(sorted(unknown)))
    if role == "counselor" and not queues:
        raise StaffInputError("staff_input.queue_needed")


def authenticate(session: Session, *, username: str, password: str) -> Staff | None:
    """The active staff member with this username and password, else None (in constant-ish time)."""
    staff = staff_by_username(session, username=username)
    if not _password_matches(staff.password_hash if staff else _DUMMY_HASH, password):
        return None
    if staff is None or not staff.active:
        return None
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = _hasher.hash(password)
    return staff


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def require_admin(view: StaffView) -> None:
    """Accounts are changed by admins only (and by the operator at the server's shell)."""
    if view.role != "admin":
        raise PermissionDenied(view.id)


def reset_password(session: Session, *, view: StaffView, staff_id: int, now: datetime) -> tuple[Staff, str]:
    """An admin gives an active account a temporary password (returned, to show once) to change at login.

    Every session of the person ends, and the lock their forgotten password earned is lifted, so the
    temporary password works at once. It is speakable (no 0/O, 1/I), for reading out over the phone.
    """
    require_admin(view)
    staff = session.get(Staff, staff_id)
    if staff is None or not staff.active:
        raise StaffInputError("dash_admin.no_such_staff")
    raw = "".join(secrets.choice(ALPHABET) for _ in range(12))
    temporary = "-".join(raw[i : i + 4] for i in range(0, 12, 4))
    staff.password_hash = _hasher.hash(temporary)
    staff.must_change_password = True
    end_all_sessions(session, staff_id=persisted_id(staff))
    forget_throttles(session, now=now, forget=(account_subject(staff.username),))
    audit(session, actor=view.actor, action="reset_password", target=f"staff:{staff.id}", at=now)
    return staff, temporary


def change_password(session: Session, *, staff: Staff, current: str, new: str, forced: bool, now: datetime) -> None:
    """Set a staff member's own new password; every session of theirs ends (the caller starts a new one).

    `forced`: the session began with an admin's temporary password just now, which is then not asked again.
    """
    if not forced and not _password_matches(staff.password_hash, current):
        raise StaffInputError("staff_account.current_wrong")
    _check_password(new)
    if _password_matches(staff.password_hash, new):
        raise StaffInputError("staff_account.password_same")
    staff.password_hash = _hasher.hash(new)
    staff.must_change_password = False
    end_all_sessions(session, staff_id=persisted_id(staff))
    audit(
        session,
        actor=f"staff:{staff.id}",
        action="change_password",
        target=f"staff:{staff.id}",
        at=now,
        detail={"forced": forced},
    )


def ensure_first_admin(session: Session, *, now: datetime) -> str | None:
    """Create the `admin` account on first start; returns its password to print once, else None."""
    if any_admin(session):
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
    previous = staff_by_contact(
        session, contact_id=contact_id, active_only=False
    )  # an inactive account's link moves too
    if previous is not None and previous.id != staff.id:
        previous.telegram_contact_id = None
        session.flush()
    staff.telegram_contact_id = contact_id
    staff.link_code_hash = None
    staff.link_code_expires_at = None
    return staff


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
