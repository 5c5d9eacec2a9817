"""The shared ServiceNow sample (CC BY 4.0, Amaral, Fantinato and Peres 2018) end to end."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from openitsms.audit.chain import verify_chain
from openitsms.audit.models import AuditEvent
from openitsms.operations.actions import run_import
from openitsms.operations.models import ImportRejection, Record, Rollup
from openitsms.tenancy.scoping import org_scope

pytestmark = pytest.mark.django_db


def _import(org, user, path: Path, **kwargs):
    with org_scope(org):
        return run_import(
            organisation=org,
            user=user,
            file=path,
            source="servicenow",
            kind="incident",
            **kwargs,
        )


def _state(org) -> dict[str, tuple]:
    with org_scope(org):
        return {
            r.source_id: (r.status, r.reopen_count, r.reassignment_count, r.history, r.closed_at)
            for r in Record.objects.all()
        }


def test_the_sample_imports_as_890_incidents_with_histories(org, manager, servicenow_sample):
    run = _import(org, manager, servicenow_sample)

    assert run.status == "succeeded", run.message
    assert (run.created, run.updated, run.unchanged, run.rejected) == (890, 0, 0, 0)
    assert run.rows_read == 5998
    assert len(run.sha256) == 64
    with org_scope(org):
        assert Record.objects.count() == 890
        assert Record.objects.filter(kind="incident", source="servicenow").count() == 890
        reopened = dict(
            Record.objects.filter(reopen_count__gt=0).values_list("source_id", "reopen_count")
        )
        assert len(reopened) == 10
        assert reopened["INC0000715"] == 2
        first = Record.objects.get(source_id="INC0000045")
        assert first.status == "closed"
        assert first.history_source == "audit_log"
        assert [entry[1] for entry in first.history][0] == "new"
        assert first.sla_basis == "none"
        assert first.resolution_24x7_s is not None
        assert Rollup.objects.filter(kind="incident").exists()
        assert sum(Rollup.objects.values_list("opened", flat=True)) == 890
    creates = AuditEvent.objects.filter(object_type="operations.record", action="create")
    assert creates.count() == 890


def test_a_second_import_of_the_sample_changes_nothing(org, manager, servicenow_sample):
    _import(org, manager, servicenow_sample)
    before = _state(org)
    events = AuditEvent.objects.count()

    again = _import(org, manager, servicenow_sample)

    assert again.status == "succeeded"
    assert (again.created, again.updated, again.unchanged) == (0, 0, 890)
    assert _state(org) == before
    # Only the run's own entries (created, finished): nothing per record.
    assert AuditEvent.objects.filter(object_type="operations.record").count() == 890
    assert AuditEvent.objects.count() - events <= 3
    # The entries written in bulk hash exactly as single entries do: the chain verifies.
    checked, problems = verify_chain()
    assert problems == [] and checked == AuditEvent.objects.count()


def _rewrite(sample: Path, target: Path) -> None:
    """The sample with dates as 29/2/2016 01:16 and booleans as true/false."""
    date = re.compile(r"^(\d\d)-(\d\d)-(\d{4}) (\d\d:\d\d)$")
    with (
        sample.open(newline="", encoding="utf-8") as source,
        target.open("w", newline="", encoding="utf-8") as out,
    ):
        writer = csv.writer(out)
        for number, row in enumerate(csv.reader(source)):
            cells = []
            for cell in row:
                match = date.match(cell) if number else None
                if match:
                    day, month, year, clock = match.groups()
                    cell = f"{int(day)}/{int(month)}/{year} {clock}"
                elif cell in ("TRUE", "FALSE"):
                    cell = cell.lower()
                cells.append(cell)
            writer.writerow(cells)


def test_the_other_copy_of_the_sample_gives_the_same_records(
    org, other_org, manager, outsider, servicenow_sample, tmp_path
):
    other = tmp_path / "other.csv"
    _rewrite(servicenow_sample, other)

    _import(org, manager, servicenow_sample)
    run = _import(other_org, outsider, other)

    assert run.status == "succeeded", run.message
    assert run.created == 890
    assert _state(other_org) == _state(org)


def test_the_same_data_in_the_other_form_is_unchanged_on_reimport(
    org, manager, servicenow_sample, tmp_path
):
    other = tmp_path / "other.csv"
    _rewrite(servicenow_sample, other)
    _import(org, manager, servicenow_sample)

    run = _import(org, manager, other)

    assert (run.created, run.updated, run.unchanged) == (0, 0, 890)


def test_a_file_corrupted_in_the_middle_imports_nothing_and_names_the_row(
    org, manager, servicenow_sample, tmp_path
):
    lines = servicenow_sample.read_text(encoding="utf-8").splitlines(keepends=True)
    middle = len(lines) // 2
    header = lines[0].rstrip("\r\n").split(",")
    cells = lines[middle].rstrip("\r\n").split(",")
    cells[header.index("opened_at")] = "not a date"
    lines[middle] = ",".join(cells) + "\r\n"
    broken = tmp_path / "broken.csv"
    broken.write_text("".join(lines), encoding="utf-8")

    run = _import(org, manager, broken)

    assert run.status == "failed"
    assert (run.created, run.updated) == (0, 0)
    with org_scope(org):
        assert Record.objects.count() == 0
        assert Rollup.objects.count() == 0
        rows = list(ImportRejection.objects.filter(run=run).values_list("row_number", "reason"))
    assert any(number == middle + 1 and "opened_at" in reason for number, reason in rows), rows
    assert f"row {middle + 1}" in run.message
    assert not AuditEvent.objects.filter(object_type="operations.record").exists()


def test_a_dry_run_counts_but_stores_nothing(org, manager, servicenow_sample):
    run = _import(org, manager, servicenow_sample, dry_run=True)

    assert run.status == "succeeded"
    assert run.dry_run
    assert run.created == 890
    assert len(run.description["would_create"]) == 50
    with org_scope(org):
        assert Record.objects.count() == 0
        assert Rollup.objects.count() == 0
