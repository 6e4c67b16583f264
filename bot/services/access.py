"""Who may see and act on which requests: counselors their queues, coordinators their region."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from bot.domain.regions import PROVINCE
from storage.models import Request, Staff, persisted_id
from storage.staff import queue_codes, staff_queue_codes


class PermissionDenied(Exception):
    """The staff member may not see or touch this request; answered as "not found" to them."""


@dataclass(frozen=True, slots=True)
class StaffView:
    """A staff member with the queues they may see; `queues is None` means every queue."""

    id: int
    username: str
    display_name: str
    role: str
    region: str | None
    queues: frozenset[str] | None

    @property
    def actor(self) -> str:
        return f"staff:{self.id}"

    def can_see(self, request: Request) -> bool:
        return self.queues is None or request.queue_code in self.queues


#: Roles that may take personal data out of the dashboard (seeing it on screen needs only the request's queue).
PERSONAL_EXPORT_ROLES = frozenset({"coordinator", "admin"})
#: Roles that may see a request's personal fields (phone, story, place, photos, BNBA) on screen.
_PERSONAL_VIEW_ROLES = frozenset({"counselor", "coordinator", "admin"})


def may_see_personal(view: StaffView, request: Request) -> bool:
    """Counselors and coordinators of the request's queue, and admins, may see its personal fields (UU PDP)."""
    return view.role in _PERSONAL_VIEW_ROLES and view.can_see(request)


def may_export_personal(view: StaffView) -> bool:
    """Whether this staff member may download personal data: the BNBA list, the request list's personal columns.

    A file leaves the dashboard's audit trail and its access rules (it is mailed on, printed, left on a
    shared PC), so only coordinators and admins, who answer for the region's data, take one out. The export
    routes refuse, and the pages hide the links, by asking this one function.
    """
    return view.role in PERSONAL_EXPORT_ROLES


def staff_view(session: Session, staff: Staff) -> StaffView:
    if staff.role == "admin" or (staff.role == "coordinator" and staff.region == PROVINCE):
        queues = None
    elif staff.role == "coordinator":
        queues = frozenset(queue_codes(session, region=staff.region))
    else:
        queues = frozenset(staff_queue_codes(session, staff_id=persisted_id(staff)))
    return StaffView(persisted_id(staff), staff.username, staff.display_name, staff.role, staff.region, queues)


def visible_request(session: Session, view: StaffView, request_id: int) -> Request:
    """The request if this staff member may see it; otherwise PermissionDenied (shown as not found)."""
    request = session.get(Request, request_id)
    if request is None or not view.can_see(request):
        raise PermissionDenied(request_id)
    return request


@dataclass(frozen=True, slots=True)
class OperatorView(StaffView):
    """The operator at the server's shell (`python -m bot staff ...`): an admin who is no account.

    Their actions on requests and in the audit log read `operator`, not a staff id.
    """

    @property
    def actor(self) -> str:
        return "operator"


def operator_view() -> OperatorView:
    return OperatorView(0, "operator", "operator", "admin", PROVINCE, None)
