"""The operations app's records of a victim organisation, for tests/test_org_wall.py."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from openitsms.operations.actions import run_import, save_mapping
from openitsms.operations.models import ImportRun, Record

VICTIM_CSV = (
    "Ref,Summary,State,Opened,Resolved,Priority,Team\n"
    "VIC-1,secret-victim-ticket,Resolved,2024-03-01 09:00,2024-03-01 10:00,P2,Team A\n"
    "VIC-2,secret-victim-ticket-2,Open,2024-03-02 09:00,,P3,Team B\n"
)
BROKEN_CSV = "Ref,Summary,State,Opened,Resolved,Priority,Team\nVIC-9,x,Resolved,not a date,,P1,A\n"
COLUMNS = {
    "source_id": "Ref",
    "title": "Summary",
    "status": "State",
    "opened_at": "Opened",
    "resolved_at": "Resolved",
    "priority": "Priority",
    "assignment_group": "Team",
}


def populate_victim(org: Any, owner: Any) -> None:
    """A column mapping, a successful run with records and rollups, a failed run with a
    rejected row, and a run waiting for its mapping (runs inside ``org_scope(org)``)."""
    if Record.objects.filter(source_id="VIC-1").exists():
        return
    mapping = save_mapping(
        organisation=org,
        name="secret-victim-mapping",
        source="csv",
        kind="incident",
        columns=COLUMNS,
    )
    for text in (VICTIM_CSV, BROKEN_CSV):
        run_import(
            organisation=org,
            user=owner,
            file=SimpleUploadedFile("victim.csv", text.encode()),
            file_name="victim.csv",
            source="csv",
            kind="incident",
            mapping=mapping,
        )
    ImportRun.objects.create(
        organisation=org,
        user=owner,
        file_name="waiting.csv",
        source="csv",
        kind="incident",
        status="mapping",
    )
