"""The audit log page over HTTP, on both engines: names and ticket codes, filters, the export, who may open it."""

from __future__ import annotations

import io
import re

import httpx
import openpyxl
import pytest
from sqlmodel import Session, select

from bot.runtime import Runtime
from storage.models import AuditLog
from tests.helpers.dashboard import client, login, seed  # noqa: F401 (client is a fixture)
from tests.helpers.staff import make_staff

pytestmark = pytest.mark.clock  # rows carry times: tests/pinned_moments.py


def _rows(html: str) -> list[list[str]]:
    """The audit table's rows as a reader sees their cells."""
    body = html.split('<table id="audit-log">')[1].split("<tbody>")[1].split("</tbody>", maxsplit=1)[0]
    return [
        [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


async def test_audit_log_names_people_and_tickets(client: httpx.AsyncClient, runtime: Runtime) -> None:
    first, second = seed(runtime), seed(runtime)
    siti = make_staff(runtime, "siti", queues=("lk3-kota-serang",))
    await login(client, "siti")
    for case in (first, second, first):
        await client.get(f"/dashboard/requests/{case.id}")
    assert (await client.get("/dashboard/admin/audit.xlsx")).status_code == 403  # admins only
    make_staff(runtime, "kepala", role="admin")
    await login(client, "kepala")

    page = (await client.get("/dashboard/admin/audit", params={"action": "view_request"})).text
    assert [row[1:] for row in _rows(page)] == [
        ["Siti", "Membuka permintaan", f"{code} semua catatan tiket ini"]
        for code in (first.ticket_code, second.ticket_code, first.ticket_code)
    ]
    assert f"request:{first.id}" not in page and f"staff:{siti.id}</td>" not in page
    typed = first.ticket_code.lower().replace("-", " ")  # as read out over the phone
    one_ticket = _rows((await client.get("/dashboard/admin/audit", params={"ticket": typed})).text)
    assert [row[2] for row in one_ticket] == ["Membuka permintaan", "Membuka permintaan"]
    by_siti = _rows((await client.get("/dashboard/admin/audit", params={"actor": f"staff:{siti.id}"})).text)
    assert {row[1] for row in by_siti} == {"Siti"} and len(by_siti) == 4  # her login and three views
    unknown = (await client.get("/dashboard/admin/audit", params={"ticket": "ZZZ-ZZZ"})).text
    assert "Tidak ada permintaan dengan kode tiket ZZZ-ZZZ." in unknown and _rows(unknown)[0][0] == "Belum ada catatan."

    export = await client.get("/dashboard/admin/audit.xlsx", params={"ticket": typed})
    sheet = list(openpyxl.load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows(values_only=True))
    assert sheet[0][:4] == ("Waktu (WIB)", "Pelaku", "Aksi", "Sasaran")
    assert [row[1:6] for row in sheet[1:]] == [
        ("Siti", "Membuka permintaan", first.ticket_code, f"staff:{siti.id}", "view_request")
    ] * 2
    csv_export = await client.get("/dashboard/admin/audit.csv", params={"action": "view_request"})
    assert csv_export.status_code == 200 and csv_export.content.decode("utf-8-sig").count("Membuka permintaan") == 3
    with Session(runtime.db) as session:
        exports = session.exec(select(AuditLog).where(AuditLog.action == "export")).all()
    assert [(e.target, e.detail["rows"], e.detail["filters"]) for e in exports] == [
        ("audit.xlsx", 2, {"ticket": first.ticket_code}),
        ("audit.csv", 3, {"action": "view_request"}),
    ]
