"""Small exports and imports for the operations tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openitsms.operations.actions import run_import, save_mapping
from openitsms.operations.models import ColumnMapping, ImportRun
from openitsms.tenancy.scoping import org_scope

HEADER = "Ref,Summary,State,Opened,Resolved,Priority,Team,Service\n"
COLUMNS = {
    "source_id": "Ref",
    "title": "Summary",
    "status": "State",
    "opened_at": "Opened",
    "resolved_at": "Resolved",
    "priority": "Priority",
    "assignment_group": "Team",
    "service": "Service",
}


def mapping_for(org: Any, name: str = "Generic") -> ColumnMapping:
    with org_scope(org):
        return save_mapping(
            organisation=org, name=name, source="csv", kind="incident", columns=COLUMNS
        )


def write(tmp_path: Path, text: str, name: str = "export.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def import_servicenow(org: Any, user: Any, path: Path) -> ImportRun:
    """Import ``path`` as a ServiceNow incident export (the shared sample's kind)."""
    return run_import(organisation=org, user=user, file=path, source="servicenow", kind="incident")


def import_csv(org: Any, user: Any, path: Path, **kwargs: Any) -> ImportRun:
    with org_scope(org):
        mapping = kwargs.pop("mapping", None) or mapping_for(org)
        return run_import(
            organisation=org,
            user=user,
            file=path,
            source="csv",
            kind="incident",
            mapping=mapping,
            tz=kwargs.pop("tz", "Europe/London"),
            **kwargs,
        )
