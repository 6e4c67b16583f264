"""Dashboard login with throttling per account and per client address, and a lock that grows.

Why two subjects: counted per address alone, five typos of one counselor locked every colleague behind
the office's NAT out for 15 minutes. Now the account being guessed is locked after a few failures,
whoever tries it (a username that does not exist too, so a lock tells nothing about who has an account),
and an address only after many failures across accounts (password spraying). A colleague's right
password from the same address still gets in while only another account is locked.

Why growing: a fixed 15 minutes punished a typo as hard as an attack. The first lock is one minute and
each further failure doubles it, up to an hour; attempts while locked are refused unchecked and not
counted. The counts are rows in the database, locked while an attempt runs, so every instance shares
them and a burst of parallel guesses is counted one by one.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session

from bot.services.staff_accounts import authenticate
from storage.models import LoginThrottle, Staff
from storage.staff_sessions import account_subject, address_subject, forget_throttles, lock_throttles

FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    """Which failure brings the first lock, and how long a subject's failures are remembered."""

    locks_at: int  # this failure locks for FIRST_LOCK; each one after doubles the lock, up to LONGEST_LOCK
    memory: timedelta  # a subject without a failure for this long starts again from zero

    def lock_after(self, failures: int) -> timedelta | None:
        if failures < self.locks_at:
            return None
        doublings: int = 2 ** min(failures - self.locks_at, 16)  # int ** int is typed Any: it may be a float
        return min(FIRST_LOCK * doublings, LONGEST_LOCK)


@dataclass(frozen=True, slots=True)
class LoginLimits:
    account: ThrottleRule
    address: ThrottleRule
    secret: str  # keys the hash of an address, so the stored hash cannot be reversed by trying all


def login_limits(*, per_account: int, per_address: int, secret: str) -> LoginLimits:
    """The settings' counts (LOGIN_FAILURES_PER_ACCOUNT, ..._PER_ADDRESS) as rules.

    An account's failures are remembered a day (a successful login forgets them); an address's an hour,
    as an office, a campus or a carrier's NAT puts many honest people behind one address.
    """
    return LoginLimits(
        ThrottleRule(per_account, timedelta(hours=24)), ThrottleRule(per_address, timedelta(hours=1)), secret
    )


class LockedBy(StrEnum):
    ACCOUNT = "account"
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """Who logged in; else, when refused unchecked, what is locked and for how long more."""

    staff: Staff | None
    locked_by: LockedBy | None = None
    wait: timedelta = timedelta(0)


def try_login(
    session: Session, *, username: str, password: str, address: str, limits: LoginLimits, now: datetime
) -> LoginOutcome:
    """Check the password unless the account or the address is locked; count a failure against both."""
    account = account_subject(username)
    digest = hmac.new(limits.secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]
    origin = address_subject(digest)
    rows = lock_throttles(session, subjects=(account, origin), now=now)
    for subject, locked_by in ((account, LockedBy.ACCOUNT), (origin, LockedBy.ADDRESS)):
        row = rows[subject]
        if row.locked_until is not None and row.locked_until > now and row.forget_at > now:
            forget_throttles(session, now=now, unless_failed=(account, origin))
            return LoginOutcome(None, locked_by, row.locked_until - now)
    staff = authenticate(session, username=username, password=password)
    if staff is None:
        _count_failure(rows[account], limits.account, now)
        _count_failure(rows[origin], limits.address, now)
        forget_throttles(session, now=now)
        return LoginOutcome(None)
    forget_throttles(session, now=now, forget=(account,), unless_failed=(origin,))
    return LoginOutcome(staff)


def _count_failure(row: LoginThrottle, rule: ThrottleRule, now: datetime) -> None:
    failures = 1 if row.forget_at <= now else row.failures + 1
    lock = rule.lock_after(failures)
    row.failures = failures
    row.locked_until = now + lock if lock else None
    row.forget_at = now + rule.memory
