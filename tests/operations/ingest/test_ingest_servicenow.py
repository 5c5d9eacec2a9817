"""ServiceNow exports: the real audit-log sample, hand-written audit logs and table exports.

The sample is the "Incident management process enriched event log" (Amaral, Fantinato,
Peres 2018, UCI Machine Learning Repository, DOI 10.24432/C57S4H), CC BY 4.0; see
conftest.py for where it is looked for. The facts checked here were read off its rows by
hand.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from openitsms.operations.ingest import (
    IngestError,
    NormalisedRecord,
    PriorityEntry,
    Rejection,
    StatusEntry,
    open_records,
)

WriteFile = Callable[..., Path]
Split = Callable[[list], tuple[list[NormalisedRecord], list[Rejection]]]

AUDIT_HEADER = (
    "number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,"
    "caller_id,opened_by,opened_at,sys_created_by,sys_created_at,sys_updated_by,"
    "sys_updated_at,contact_type,location,category,subcategory,u_symptom,cmdb_ci,impact,"
    "urgency,priority,assignment_group,assigned_to,knowledge,u_priority_confirmation,notify,"
    "problem_id,rfc,vendor,caused_by,closed_code,resolved_by,resolved_at,closed_at"
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def audit_row(
    number: str,
    state: str,
    seq: int,
    updated: str,
    *,
    group: str = "Group 56",
    priority: str = "3 - Moderate",
    opened: str = "29-02-2016 01:16",
    reassignments: int = 0,
    reopens: int = 0,
    resolved: str = "?",
    closed: str = "?",
) -> str:
    """One row of an audit-log export in the 36 columns of the shared sample."""
    cells = [
        number,
        state,
        "TRUE",
        str(reassignments),
        str(reopens),
        str(seq),
        "TRUE",
        "Caller 1",
        "Opened by 1",
        opened,
        "Created by 1",
        opened,
        "Updated by 1",
        updated,
        "Phone",
        "Location 1",
        "Category 1",
        "Subcategory 1",
        "Symptom 1",
        "?",
        "2 - Medium",
        "2 - Medium",
        priority,
        group,
        "?",
        "TRUE",
        "FALSE",
        "Do Not Notify",
        "?",
        "?",
        "?",
        "?",
        "code 5",
        "Resolved by 1",
        resolved,
        closed,
    ]
    return ",".join(cells)


def audit_log(*rows: str) -> str:
    return "\n".join([AUDIT_HEADER, *rows]) + "\n"


def read(path: Path, **options: object) -> list:
    options.setdefault("source", "servicenow")
    options.setdefault("kind", "incident")
    with open_records(path, **options) as stream:  # type: ignore[arg-type]
        return list(stream)


# -- the shared sample ----------------------------------------------------------------------


def test_the_sample_rebuilds_890_incidents_from_5998_rows(
    servicenow_sample: Path, split_items: Split
) -> None:
    with open_records(servicenow_sample, source="servicenow", kind="incident") as stream:
        records, rejections = split_items(list(stream))
        assert stream.rows_read == 5998
        assert stream.audit_log and stream.audit_log_detected
        assert stream.date_order == "day_first"
        assert stream.date_order_source == "detected"
        assert stream.format.encoding == "utf-8"
        assert stream.format.delimiter == ","
        assert stream.warnings == []

    assert rejections == []
    assert len(records) == 890
    assert len({record.source_id for record in records}) == 890
    assert sum(record.rows for record in records) == 5998
    assert records[0].source_id == "INC0000045"
    assert records[-1].source_id == "INC0001434"
    assert Counter(record.status for record in records) == {"closed": 890}
    reopened = {r.source_id: r.reopen_count for r in records if r.reopen_count}
    assert len(reopened) == 10
    assert reopened["INC0000715"] == 2
    assert sum(1 for record in records if record.made_sla is False) == 395


def test_inc0000045_history_and_final_state(servicenow_sample: Path, split_items: Split) -> None:
    records, _ = split_items(read(servicenow_sample))
    incident = next(r for r in records if r.source_id == "INC0000045")

    assert incident.kind == "incident"
    assert incident.source == "servicenow"
    assert incident.rows == 4
    assert incident.row_number == 5  # the Closed row, sys_mod_count 4
    assert incident.status == "closed"
    assert incident.source_status == "Closed"
    assert incident.opened_at == utc(2016, 2, 29, 1, 16)
    assert incident.resolved_at == utc(2016, 2, 29, 11, 29)
    assert incident.closed_at == utc(2016, 3, 5, 12, 0)
    assert incident.updated_at == utc(2016, 3, 5, 12, 0)
    assert incident.responded_at == utc(2016, 2, 29, 8, 53)  # first move out of New
    assert (incident.priority, incident.impact, incident.urgency) == ("P3", "medium", "medium")
    assert incident.category == "Category 55"
    assert incident.assignment_group == "Group 56"
    assert incident.configuration_item is None  # "?" in the export
    assert incident.resolution_code == "code 5"
    assert (incident.reopen_count, incident.reassignment_count) == (0, 0)
    assert incident.made_sla is True
    assert incident.history_source == "audit_log"
    # Opened at 01:16, first recorded at 01:23 (New), Resolved at 08:53 (and again, unchanged,
    # at 11:29), Closed on 5 March.
    assert incident.history == (
        StatusEntry(utc(2016, 2, 29, 1, 16), "new", "Group 56", "New", 0, 2),
        StatusEntry(utc(2016, 2, 29, 8, 53), "resolved", "Group 56", "Resolved", 2, 3),
        StatusEntry(utc(2016, 3, 5, 12, 0), "closed", "Group 56", "Closed", 4, 5),
    )
    assert incident.priority_history == (PriorityEntry(utc(2016, 2, 29, 1, 16), "P3"),)
    assert incident.notes == ()


def test_inc0000102_waits_moves_between_groups_and_is_reopened(
    servicenow_sample: Path, split_items: Split
) -> None:
    records, _ = split_items(read(servicenow_sample))
    incident = next(r for r in records if r.source_id == "INC0000102")

    assert [(e.at, e.status, e.group, e.row_number) for e in incident.history] == [
        (utc(2016, 2, 29, 9, 6), "new", "Group 70", 203),
        (utc(2016, 2, 29, 20, 9), "pending", "Group 70", 205),
        (utc(2016, 3, 3, 17, 29), "in_progress", "Group 70", 209),
        (utc(2016, 3, 4, 11, 15), "in_progress", "Group 50", 210),
        (utc(2016, 3, 4, 12, 17), "in_progress", "Group 70", 212),
        (utc(2016, 3, 4, 14, 8), "in_progress", "Group 29", 213),
        (utc(2016, 3, 4, 15, 51), "in_progress", "Group 23", 214),
        (utc(2016, 3, 7, 11, 50), "pending", "Group 23", 215),
        (utc(2016, 3, 14, 8, 13), "resolved", "Group 23", 218),
        (utc(2016, 3, 17, 16, 27), "in_progress", "Group 23", 219),
        (utc(2016, 3, 17, 16, 28), "resolved", "Group 23", 220),
        (utc(2016, 3, 24, 18, 59), "closed", "Group 23", 221),
    ]
    assert incident.history[1].source_status == "Awaiting User Info"
    assert (incident.reopen_count, incident.reassignment_count) == (1, 4)
    assert incident.resolved_at == utc(2016, 3, 17, 16, 28)


def test_inc0000062_priority_history(servicenow_sample: Path, split_items: Split) -> None:
    records, _ = split_items(read(servicenow_sample))
    incident = next(r for r in records if r.source_id == "INC0000062")

    assert incident.priority == "P2"
    assert incident.priority_history == (
        PriorityEntry(utc(2016, 2, 29, 6, 58), "P3"),
        PriorityEntry(utc(2016, 2, 29, 7, 29), "P2"),
    )


def test_conflicting_copies_of_an_update_are_left_out_and_noted(
    servicenow_sample: Path, split_items: Split
) -> None:
    records, _ = split_items(read(servicenow_sample))
    noted = {r.source_id: r for r in records if r.notes}

    # Five incidents have a row repeating another row's sys_mod_count at a time that does not
    # fit (four before the incident was opened); each is left out and named.
    assert sorted(noted) == ["INC0000130", "INC0000134", "INC0000135", "INC0000137", "INC0000164"]
    incident = noted["INC0000130"]
    assert incident.notes == (
        "row 330 repeats update 2 (kept: row 332) at 2016-02-29 07:27 UTC, out of time order; "
        "left out of the history",
    )
    assert [(e.at, e.status, e.row_number) for e in incident.history] == [
        (utc(2016, 2, 29, 9, 41), "new", 331),
        (utc(2016, 3, 1, 14, 13), "in_progress", 332),
        (utc(2016, 3, 3, 10, 16), "resolved", 334),
        (utc(2016, 3, 8, 11, 0), "closed", 335),
    ]
    assert noted["INC0000135"].row_number == 358  # the Closed copy of update 7 is kept


def test_links_to_problems_and_changes(servicenow_sample: Path, split_items: Split) -> None:
    records, _ = split_items(read(servicenow_sample))
    by_id = {record.source_id: record for record in records}

    assert by_id["INC0000074"].change_id == "CHG0000404"
    assert by_id["INC0000388"].problem_id == "Problem ID  17"
    assert by_id["INC0000388"].caused_by_change == "CHG0000132"


def _rewrite(sample: Path, target: Path, encoding: str, delimiter: str) -> None:
    """The sample with dates as 29/2/2016 01:16 and booleans as true/false."""
    date = re.compile(r"^(\d\d)-(\d\d)-(\d{4}) (\d\d:\d\d)$")
    with sample.open(newline="", encoding="utf-8") as source:
        rows = list(csv.reader(source))
    with target.open("w", newline="", encoding=encoding) as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(rows[0])
        for row in rows[1:]:
            cells = []
            for cell in row:
                match = date.match(cell)
                if match:
                    day, month, year, clock = match.groups()
                    cell = f"{int(day)}/{int(month)}/{year} {clock}"
                elif cell in ("TRUE", "FALSE"):
                    cell = cell.lower()
                cells.append(cell)
            writer.writerow(cells)


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8", ","), ("utf-16", ";")])
def test_the_other_copies_dates_and_booleans_give_the_same_records(
    servicenow_sample: Path, tmp_path: Path, encoding: str, delimiter: str
) -> None:
    other = tmp_path / "other.csv"
    _rewrite(servicenow_sample, other, encoding, delimiter)

    assert read(other) == read(servicenow_sample)


def test_two_pass_grouping_reads_a_shuffled_sample_the_same(
    servicenow_sample: Path, tmp_path: Path, split_items: Split
) -> None:
    with servicenow_sample.open(newline="", encoding="utf-8") as source:
        header, *rows = list(csv.reader(source))
    # Sorted by update time: the rows of each incident are spread through the file.
    shuffled = [header, *sorted(rows, key=lambda r: (r[13][6:10], r[13][3:5], r[13][:2], r[13]))]
    path = tmp_path / "by_time.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(shuffled)

    records, rejections = split_items(read(path, grouping="two_pass", audit_log=True))
    expected, _ = split_items(read(servicenow_sample))

    assert rejections == []
    assert len(records) == 890
    by_id = {record.source_id: record for record in records}
    for want in expected:
        got = by_id[want.source_id]
        assert [(e.at, e.status, e.group) for e in got.history] == [
            (e.at, e.status, e.group) for e in want.history
        ]
        assert (got.status, got.reopen_count, got.closed_at) == (
            want.status,
            want.reopen_count,
            want.closed_at,
        )


def test_contiguous_grouping_rejects_an_incident_that_comes_back(
    write_file: WriteFile, split_items: Split
) -> None:
    path = write_file(
        audit_log(
            audit_row("INC1", "New", 0, "01-03-2016 09:00"),
            audit_row("INC2", "New", 0, "01-03-2016 09:05"),
            audit_row("INC1", "Resolved", 1, "01-03-2016 10:00"),
        )
    )

    records, rejections = split_items(read(path))

    assert [r.source_id for r in records] == ["INC1", "INC2"]
    assert [(r.row_number, r.source_id) for r in rejections] == [(4, "INC1")]
    assert "already appeared from row 2" in rejections[0].reason
    assert "two-pass" in rejections[0].reason


# -- hand-written audit logs --------------------------------------------------------------------


def test_minus_100_keeps_the_previous_status(write_file: WriteFile, split_items: Split) -> None:
    opened = "01-03-2016 08:55"
    path = write_file(
        audit_log(
            audit_row("INC1", "New", 0, "01-03-2016 09:00", opened=opened),
            audit_row("INC1", "Active", 1, "01-03-2016 09:30", opened=opened),
            audit_row("INC1", "-100", 2, "01-03-2016 10:00", group="Group 7", opened=opened),
            audit_row("INC1", "Resolved", 3, "01-03-2016 11:00", group="Group 7", opened=opened),
        )
    )

    records, rejections = split_items(read(path))

    assert rejections == []
    assert [(e.at, e.status, e.group, e.source_status) for e in records[0].history] == [
        (utc(2016, 3, 1, 8, 55), "new", "Group 56", "New"),
        (utc(2016, 3, 1, 9, 30), "in_progress", "Group 56", "Active"),
        (utc(2016, 3, 1, 10, 0), "in_progress", "Group 7", "Active"),
        (utc(2016, 3, 1, 11, 0), "resolved", "Group 7", "Resolved"),
    ]
    assert records[0].status == "resolved"


def test_a_fold_time_that_would_go_backwards_is_its_second_occurrence(
    write_file: WriteFile, split_items: Split
) -> None:
    # Europe/Amsterdam falls back on 30 October 2016: 02:00-03:00 happens twice.
    opened = "30-10-2016 02:40"
    path = write_file(
        audit_log(
            audit_row("INC1", "New", 0, "30-10-2016 02:40", opened=opened),
            audit_row("INC1", "Active", 1, "30-10-2016 02:10", opened=opened),  # second 02:10
            audit_row("INC1", "Resolved", 2, "30-10-2016 02:50", opened=opened),  # second 02:50
        )
    )

    records, rejections = split_items(read(path, tz="Europe/Amsterdam"))

    assert rejections == []
    assert [e.at for e in records[0].history] == [
        utc(2016, 10, 30, 0, 40),
        utc(2016, 10, 30, 1, 10),
        utc(2016, 10, 30, 1, 50),
    ]


def test_a_history_out_of_order_rejects_every_row_of_the_incident(
    write_file: WriteFile, split_items: Split
) -> None:
    path = write_file(
        audit_log(
            audit_row("INC1", "New", 0, "01-03-2016 09:00"),
            audit_row("INC1", "Active", 1, "01-03-2016 12:00"),
            audit_row("INC1", "Resolved", 2, "01-03-2016 10:00"),
            audit_row("INC2", "New", 0, "01-03-2016 09:00"),
        )
    )

    records, rejections = split_items(read(path))

    assert [r.source_id for r in records] == ["INC2"]
    assert [r.row_number for r in rejections] == [2, 3, 4]
    assert rejections[2].reason == (
        "history out of order: update 2 at 2016-03-01 10:00 UTC (row 4) is earlier than "
        "update 1 at 2016-03-01 12:00 UTC (row 3)"
    )
    assert rejections[0].reason == "left out with INC1, whose history is out of order (row 4)"


def test_a_bad_cell_in_an_earlier_update_rejects_the_incident(
    write_file: WriteFile, split_items: Split
) -> None:
    bad = audit_row("INC1", "Active", 1, "01-03-2016 09:30").replace(
        "29-02-2016 01:16", "31-02-2016 01:16", 1
    )
    path = write_file(
        audit_log(
            audit_row("INC1", "New", 0, "01-03-2016 09:00"),
            bad,
            audit_row("INC1", "Resolved", 2, "01-03-2016 10:00"),
        )
    )

    records, rejections = split_items(read(path))

    assert records == []
    assert [r.row_number for r in rejections] == [2, 3, 4]
    assert rejections[1].columns == ("opened_at",)
    assert rejections[1].reason.startswith("opened_at: '31-02-2016 01:16' is not a valid date")
    assert rejections[1].reason.endswith("(INC1 is left out: its history would be incomplete)")
    assert rejections[2].reason == "left out with INC1, whose row 3 was rejected"


def test_an_unknown_state_is_named(write_file: WriteFile, split_items: Split) -> None:
    path = write_file(
        audit_log(
            audit_row("INC1", "New", 0, "01-03-2016 09:00"),
            audit_row("INC1", "Parked", 1, "01-03-2016 09:30"),
        )
    )

    records, rejections = split_items(read(path))

    assert records == []
    assert rejections[1].reason.startswith(
        "incident_state: unknown status 'Parked' (add it to the status map)"
    )


def test_a_caller_value_map_reads_a_site_specific_state(
    write_file: WriteFile, split_items: Split
) -> None:
    path = write_file(
        audit_log(
            audit_row("INC1", "New", 0, "01-03-2016 09:00"),
            audit_row("INC1", "Parked", 1, "01-03-2016 09:30"),
            audit_row("INC1", "Active", 2, "01-03-2016 10:30", priority="P9 - Odd"),
        )
    )

    records, rejections = split_items(
        read(path, value_maps={"status": {"parked": "pending"}, "priority": {"P9 - Odd": "P1"}})
    )

    assert rejections == []
    assert [e.status for e in records[0].history] == ["new", "pending", "in_progress"]
    assert records[0].priority == "P1"


def test_a_value_map_to_a_status_we_do_not_have_is_refused(write_file: WriteFile) -> None:
    path = write_file(audit_log(audit_row("INC1", "New", 0, "01-03-2016 09:00")))

    with pytest.raises(IngestError, match="'paused', which is not one of new, in_progress"):
        read(path, value_maps={"status": {"Parked": "paused"}})


# -- table exports ----------------------------------------------------------------------------


def test_incident_table_export_with_numeric_states(
    write_file: WriteFile, split_items: Split
) -> None:
    path = write_file(
        "number,short_description,state,priority,impact,urgency,category,assignment_group,"
        "cmdb_ci,business_service,opened_at,resolved_at,closed_at,sys_updated_on,"
        "reassignment_count,reopen_count,close_code,hold_reason,sys_id\n"
        "INC0010001,Mail is slow,2,2 - High,1 - High,2 - Medium,Software,Service Desk,"
        "MAILSRV01,Email,2024-03-12 09:05:00,,,2024-03-12 10:00:00,1,0,,,a1\n"
        "INC0010002,Printer jam,3,4 - Low,3 - Low,3 - Low,Hardware,Field Services,"
        "PRN-2F,Printing,2024-03-12 09:30:00,,,2024-03-12 11:00:00,0,0,,Awaiting Caller,a2\n"
        "INC0010003,VPN down,7,1 - Critical,1 - High,1 - High,Network,Network,"
        "VPN01,Remote access,2024-03-11 22:00:00,2024-03-12 01:00:00,2024-03-15 01:00:00,"
        "2024-03-15 01:00:00,2,1,Solved (Permanently),,a3\n"
        "INC0010004,Duplicate ticket,8,5 - Planning,3 - Low,3 - Low,Inquiry,Service Desk,"
        ",,2024-03-12 09:40:00,,,2024-03-12 09:45:00,0,0,,,a4\n",
        name="incident.csv",
    )

    with open_records(path, source="servicenow", kind="incident", tz="Europe/London") as stream:
        records, rejections = split_items(list(stream))
        assert not stream.audit_log
        assert stream.date_order_source == "not_needed"

    assert rejections == []
    mail, printer, vpn, duplicate = records
    assert (mail.status, mail.priority, mail.impact, mail.urgency) == (
        "in_progress",
        "P2",
        "high",
        "medium",
    )
    assert mail.title == "Mail is slow"
    assert (mail.service, mail.configuration_item) == ("Email", "MAILSRV01")
    assert mail.history_source == "milestones"
    assert [(e.at, e.status) for e in mail.history] == [
        (utc(2024, 3, 12, 9, 5), "new"),
        (utc(2024, 3, 12, 10, 0), "in_progress"),
    ]
    assert printer.status == "pending"
    assert vpn.status == "closed"
    assert vpn.priority == "P1"
    assert vpn.reopen_count == 1
    assert vpn.resolution_code == "Solved (Permanently)"
    assert [(e.at, e.status) for e in vpn.history] == [
        (utc(2024, 3, 11, 22, 0), "new"),
        (utc(2024, 3, 12, 1, 0), "resolved"),
        (utc(2024, 3, 15, 1, 0), "closed"),
    ]
    assert duplicate.status == "cancelled"
    assert duplicate.priority == "P5"
    assert duplicate.configuration_item is None


def test_a_table_export_with_the_same_number_twice_rejects_the_second(
    write_file: WriteFile, split_items: Split
) -> None:
    path = write_file(
        "number,state,opened_at\n"
        "INC1,1,2024-03-12 09:05:00\n"
        "INC2,1,2024-03-12 09:06:00\n"
        "INC1,2,2024-03-12 09:07:00\n",
    )

    # Without sys_mod_count, a repeated number is a duplicate, not an audit log.
    records, rejections = split_items(read(path))

    assert [r.source_id for r in records] == ["INC1", "INC2"]
    assert rejections[0].row_number == 4
    assert "INC1 appears again (first on row 2)" in rejections[0].reason


def test_keep_previous_is_refused_on_a_table_export(
    write_file: WriteFile, split_items: Split
) -> None:
    path = write_file("number,state,opened_at\nINC1,-100,2024-03-12 09:05:00\n")

    records, rejections = split_items(read(path))

    assert records == []
    assert "says nothing about the status" in rejections[0].reason


def test_problem_export(write_file: WriteFile, split_items: Split) -> None:
    path = write_file(
        "number,short_description,state,priority,category,business_service,cmdb_ci,"
        "known_error,workaround,cause_notes,rfc,opened_at,resolved_at,closed_at\n"
        "PRB0040001,Mail queue stalls,Root Cause Analysis,2 - High,Software,Email,MAILSRV01,"
        "true,Restart the queue service,Memory leak in the transport agent,CHG0030002,"
        "12/03/2024 09:05,,\n"
        "PRB0040002,Old printer driver,107,4 - Low,Hardware,Printing,,false,,,,"
        "01/03/2024 10:00,05/03/2024 10:00,13/03/2024 10:00\n",
    )

    records, rejections = split_items(read(path, kind="problem"))

    assert rejections == []
    mail, printer = records
    assert (mail.kind, mail.status, mail.priority) == ("problem", "in_progress", "P2")
    assert mail.known_error is True
    assert mail.workaround == "Restart the queue service"
    assert mail.root_cause == "Memory leak in the transport agent"
    assert mail.change_id == "CHG0030002"
    assert printer.status == "closed"
    assert printer.known_error is False
    assert printer.closed_at == utc(2024, 3, 13, 10, 0)


def test_change_request_export(write_file: WriteFile, split_items: Split) -> None:
    path = write_file(
        "number,short_description,type,state,risk,impact,priority,category,assignment_group,"
        "cmdb_ci,business_service,start_date,end_date,work_start,work_end,opened_at,closed_at,"
        "close_code,cab_required,approval\n"
        "CHG0030001,Patch mail servers,normal,Closed,Moderate,2 - Medium,3 - Moderate,Software,"
        "Messaging,MAILSRV01,Email,2024-03-16 22:00:00,2024-03-17 02:00:00,"
        "2024-03-16 22:10:00,2024-03-17 01:30:00,2024-03-10 09:00:00,2024-03-18 09:00:00,"
        "successful_issues,true,approved\n"
        "CHG0030002,Firewall rule,emergency,-1,High,1 - High,1 - Critical,Network,Network,"
        "FW01,Remote access,2024-03-12 10:00:00,2024-03-12 11:00:00,2024-03-12 10:05:00,,"
        "2024-03-12 09:30:00,,,false,requested\n"
        "CHG0030003,Standard restart,standard,Canceled,Low,3 - Low,4 - Low,Software,Messaging,"
        ",,,,,,2024-03-12 09:30:00,2024-03-12 09:40:00,unsuccessful,false,not yet requested\n",
    )

    records, rejections = split_items(read(path, kind="change"))

    assert rejections == []
    patch, firewall, restart = records
    assert (patch.kind, patch.change_type, patch.status, patch.risk) == (
        "change",
        "normal",
        "closed",
        "medium",
    )
    assert patch.outcome == "successful_with_issues"
    assert (patch.cab_required, patch.approval) == (True, "approved")
    assert patch.planned_start == utc(2024, 3, 16, 22, 0)
    assert patch.actual_end == utc(2024, 3, 17, 1, 30)
    assert (firewall.change_type, firewall.status, firewall.risk) == (
        "emergency",
        "in_progress",
        "high",
    )
    assert firewall.approval == "requested"
    assert firewall.outcome is None
    assert (restart.status, restart.outcome, restart.approval) == (
        "cancelled",
        "unsuccessful",
        "not_requested",
    )
    assert [e.status for e in restart.history] == ["new", "cancelled"]
    assert restart.root_cause is None  # problem fields stay empty on a change


def test_requested_item_export(write_file: WriteFile, split_items: Split) -> None:
    path = write_file(
        "number,short_description,cat_item,state,priority,assignment_group,opened_at,"
        "closed_at,sys_updated_on\n"
        "RITM0010001,New laptop,Standard Laptop,Closed Complete,4 - Low,Hardware,"
        "2024-03-01 09:00:00,2024-03-04 12:00:00,2024-03-04 12:00:00\n"
        "RITM0010002,Access to share,File share access,-5,4 - Low,Access,"
        "2024-03-02 09:00:00,,2024-03-02 10:00:00\n"
        "RITM0010003,Monitor,Standard Monitor,Closed Skipped,4 - Low,Hardware,"
        "2024-03-02 09:00:00,2024-03-02 09:30:00,2024-03-02 09:30:00\n",
    )

    records, rejections = split_items(read(path, kind="request"))

    assert rejections == []
    assert [(r.kind, r.status, r.category) for r in records] == [
        ("request", "closed", "Standard Laptop"),
        ("request", "pending", "File share access"),
        ("request", "cancelled", "Standard Monitor"),
    ]


def test_servicenow_without_a_kind_is_refused(write_file: WriteFile) -> None:
    path = write_file("number,state,opened_at\nINC1,1,2024-03-12 09:05:00\n")

    with pytest.raises(IngestError, match="needs its kind"):
        read(path, kind=None)


def test_a_missing_required_column_names_what_was_looked_for(write_file: WriteFile) -> None:
    path = write_file("number,state,short_description\nINC1,1,x\n")

    with pytest.raises(IngestError) as caught:
        read(path)

    assert "required column missing: Opened (opened_at or Opened or sys_created_on" in str(
        caught.value
    )
    assert "The file's columns are: number, state, short_description" in str(caught.value)
