"""Jira Service Management, GLPI, iTop and mapped CSV/XLSX exports, on hand-written fixtures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest

from openitsms.operations.ingest import (
    PROFILES,
    IngestError,
    NormalisedRecord,
    Rejection,
    open_records,
    profile_for,
)

WriteFile = Callable[..., Path]
Split = Callable[[list], tuple[list[NormalisedRecord], list[Rejection]]]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def read(path: Path, **options: object) -> list:
    with open_records(path, **options) as stream:  # type: ignore[arg-type]
        return list(stream)


JIRA = (
    "Summary,Issue key,Issue id,Issue Type,Status,Priority,Resolution,Assignee,Reporter,"
    "Created,Updated,Resolved,Custom field (Request Type),Custom field (Time to first response),"
    "Custom field (Time to resolution)\n"
    "VPN drops every hour,ITSM-101,10101,[System] Incident,Waiting for customer,High,,"
    "Ana,Bo,12/Mar/24 9:05 AM,12/Mar/24 11:40 AM,,Report a system problem,0:25,-1:30\n"
    "New starter laptop,ITSM-102,10102,Service Request,Resolved,Medium,Done,Ana,Cy,"
    "13/Mar/24 2:10 PM,14/Mar/24 10:00 AM,14/Mar/24 10:00 AM,Request new hardware,1:05,6:00\n"
    "Upgrade VPN gateway,ITSM-103,10103,Change,Implementing,Highest,,Dev,Ana,"
    "13/Mar/24 3:00 PM,13/Mar/24 4:00 PM,,,,\n"
    "Recurring VPN drops,ITSM-104,10104,Problem,Under investigation,Low,,Dev,Ana,"
    "14/Mar/24 8:00 AM,14/Mar/24 8:30 AM,,,,\n"
)


def test_jira_service_management_export(write_file: WriteFile, split_items: Split) -> None:
    path = write_file(JIRA, name="jira.csv")

    with open_records(path, source="jira", tz="Europe/Lisbon") as stream:
        records, rejections = split_items(list(stream))
        assert stream.kind is None
        assert stream.date_order_source == "not_needed"

    assert rejections == []
    vpn, laptop, gateway, problem = records
    assert (vpn.kind, vpn.status, vpn.source_status, vpn.priority) == (
        "incident",
        "pending",
        "Waiting for customer",
        "P2",
    )
    assert vpn.opened_at == utc(2024, 3, 12, 9, 5)  # Lisbon is on UTC in March
    assert vpn.category == "Report a system problem"
    assert (vpn.response_remaining_s, vpn.resolution_remaining_s) == (1500, -5400)
    assert [(e.at, e.status) for e in vpn.history] == [
        (utc(2024, 3, 12, 9, 5), "new"),
        (utc(2024, 3, 12, 11, 40), "pending"),
    ]
    assert (laptop.kind, laptop.status, laptop.resolution_code) == ("request", "resolved", "Done")
    assert laptop.resolved_at == utc(2024, 3, 14, 10, 0)
    assert (gateway.kind, gateway.status, gateway.priority) == ("change", "in_progress", "P1")
    assert (problem.kind, problem.status, problem.priority) == ("problem", "in_progress", "P4")


def test_a_jira_import_for_one_kind_rejects_rows_of_other_kinds(
    write_file: WriteFile, split_items: Split
) -> None:
    path = write_file(JIRA, name="jira.csv")

    records, rejections = split_items(read(path, source="jira", kind="incident"))

    assert [r.source_id for r in records] == ["ITSM-101"]
    assert [(r.row_number, r.source_id) for r in rejections] == [
        (3, "ITSM-102"),
        (4, "ITSM-103"),
        (5, "ITSM-104"),
    ]
    assert rejections[0].reason == (
        "Issue Type: the row is a request, but this import is for incidents"
    )


def test_glpi_export_with_numeric_codes(write_file: WriteFile, split_items: Split) -> None:
    path = write_file(
        "id;name;date;solvedate;closedate;takeintoaccountdate;status;type;urgency;impact;"
        "priority;itilcategories_id;date_mod\n"
        "1201;Écran noir;2024-03-12 09:05:00;;;2024-03-12 09:20:00;4;1;4;3;4;12;"
        "2024-03-12 10:00:00\n"
        "1202;Nouveau badge;2024-03-12 10:00:00;2024-03-13 10:00:00;2024-03-15 10:00:00;"
        "2024-03-12 10:30:00;6;2;2;1;1;40;2024-03-15 10:00:00\n",
        name="glpi.csv",
        encoding="cp1252",
    )

    with open_records(path, source="glpi", tz="Europe/Paris") as stream:
        records, rejections = split_items(list(stream))
        assert stream.format.delimiter == ";"
        assert stream.format.encoding == "latin-1"
        assert stream.decimal_comma

    assert rejections == []
    screen, badge = records
    assert screen.title == "Écran noir"
    assert (screen.kind, screen.status, screen.priority) == ("incident", "pending", "P2")
    assert (screen.urgency, screen.impact) == ("high", "medium")
    assert screen.opened_at == utc(2024, 3, 12, 8, 5)  # CET
    assert [(e.at, e.status) for e in screen.history] == [
        (utc(2024, 3, 12, 8, 5), "new"),
        (utc(2024, 3, 12, 8, 20), "in_progress"),
        (utc(2024, 3, 12, 9, 0), "pending"),
    ]
    assert (badge.kind, badge.status, badge.priority) == ("request", "closed", "P5")
    assert (badge.urgency, badge.impact) == ("low", "low")


def test_glpi_export_with_display_labels(write_file: WriteFile, split_items: Split) -> None:
    path = write_file(
        "ID;Title;Status;Type;Priority;Urgency;Impact;Opening date;Resolution date;"
        "Closing date;Category\n"
        "1 201;Écran noir;Processing (assigned);Incident;Very high;High;Medium;"
        "12-03-2024 09:05;;;Hardware > Screen\n"
        "1 202;Badge;Solved;Request;Major;Very high;Very high;13-03-2024 10:00;"
        "13-03-2024 16:00;;Access\n",
        name="glpi-ui.csv",
    )

    records, rejections = split_items(read(path, source="glpi", date_order="day_first"))

    assert rejections == []
    assert [(r.source_id, r.kind, r.status, r.priority) for r in records] == [
        ("1 201", "incident", "in_progress", "P1"),
        ("1 202", "request", "resolved", "P1"),
    ]
    assert records[0].category == "Hardware > Screen"


def test_itop_user_request_export(write_file: WriteFile, split_items: Split) -> None:
    path = write_file(
        "ref,title,status,request_type,impact,urgency,priority,service_id_friendlyname,"
        "team_id_friendlyname,start_date,assignment_date,resolution_date,close_date,"
        "last_update,sla_tto_passed,sla_ttr_passed,resolution_code,"
        "parent_problem_id_friendlyname,parent_change_id_friendlyname\n"
        "R-000123,Cannot print,escalated_tto,service_request,3,2,3,Printing,Helpdesk,"
        "2024-03-12 09:05:00,,,,2024-03-12 13:05:00,yes,no,,,\n"
        "I-000045,ERP is down,resolved,incident,1,1,1,ERP,Application support,"
        "2024-03-12 08:00:00,2024-03-12 08:10:00,2024-03-12 11:00:00,,2024-03-12 11:00:00,"
        "no,no,fixed,P-000007,C-000012\n",
        name="itop.csv",
    )

    records, rejections = split_items(read(path, source="itop"))

    assert rejections == []
    printer, erp = records
    assert (printer.kind, printer.status, printer.priority) == ("request", "new", "P3")
    assert (printer.impact, printer.urgency) == ("low", "high")
    assert (printer.service, printer.assignment_group) == ("Printing", "Helpdesk")
    assert (printer.response_breached, printer.resolution_breached) == (True, False)
    assert (erp.kind, erp.status, erp.priority, erp.impact) == (
        "incident",
        "resolved",
        "P1",
        "high",
    )
    assert erp.responded_at == utc(2024, 3, 12, 8, 10)
    assert (erp.problem_id, erp.change_id) == ("P-000007", "C-000012")
    assert [e.status for e in erp.history] == ["new", "in_progress", "resolved"]


def test_generic_csv_through_a_column_mapping(write_file: WriteFile, split_items: Split) -> None:
    path = write_file(
        "Ticket;Kurzbeschreibung;Status;Prio;Erstellt;Gelöst;Team;Aufwand\n"
        "T-1;Drucker;Offen;2;01.03.2016 09:00;;2nd level;1,5\n"
        "T-2;Mail;Erledigt;4;02.03.2016 10:00;02.03.2016 12:30;1st level;0,5\n",
        name="tickets.csv",
    )
    columns = {
        "source_id": "Ticket",
        "title": "Kurzbeschreibung",
        "status": "Status",
        "priority": "Prio",
        "opened_at": "Erstellt",
        "resolved_at": "Gelöst",
        "assignment_group": "Team",
    }

    with open_records(
        path,
        source="csv",
        kind="incident",
        columns=columns,
        value_maps={"status": {"Offen": "new", "Erledigt": "resolved"}},
        tz="Europe/Berlin",
    ) as stream:
        records, rejections = split_items(list(stream))
        assert stream.columns == columns
        assert stream.date_order == "day_first"
        assert stream.date_order_source == "assumed"
        assert any("day-first" in warning for warning in stream.warnings)

    assert rejections == []
    assert [(r.source_id, r.status, r.priority, r.assignment_group) for r in records] == [
        ("T-1", "new", "P2", "2nd level"),
        ("T-2", "resolved", "P4", "1st level"),
    ]
    assert records[1].resolved_at == utc(2016, 3, 2, 11, 30)
    assert records[0].source == "csv"


def test_generic_xlsx_through_a_column_mapping(tmp_path: Path, split_items: Split) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Change", "Type", "State", "Opened", "Planned start", "Outcome", "Rolled back"])
    sheet.append(
        ["C-1", "Emergency", "Closed", datetime(2024, 3, 1, 9), datetime(2024, 3, 1, 12)]
        + ["Failed", True]
    )
    sheet.append(
        ["C-2", "Standard", "Closed", datetime(2024, 3, 2, 9), datetime(2024, 3, 2, 12)]
        + ["Successful", False]
    )
    path = tmp_path / "changes.xlsx"
    workbook.save(path)

    records, rejections = split_items(
        read(
            path,
            source="csv",
            kind="change",
            columns={
                "source_id": "Change",
                "change_type": "Type",
                "status": "State",
                "opened_at": "Opened",
                "planned_start": "Planned start",
                "outcome": "Outcome",
                "rolled_back": "Rolled back",
            },
        )
    )

    assert rejections == []
    assert [(r.change_type, r.outcome, r.rolled_back) for r in records] == [
        ("emergency", "unsuccessful", True),
        ("standard", "successful", False),
    ]
    assert records[0].planned_start == utc(2024, 3, 1, 12)


def test_a_mapped_file_can_be_an_audit_log(write_file: WriteFile, split_items: Split) -> None:
    path = write_file(
        "ref,state,opened,changed,group\n"
        "A,open,2024-03-01 09:00,2024-03-01 09:00,L1\n"
        "A,in progress,2024-03-01 09:00,2024-03-01 09:20,L2\n"
        "A,done,2024-03-01 09:00,2024-03-01 11:00,L2\n"
        "B,open,2024-03-01 10:00,2024-03-01 10:00,L1\n",
    )
    columns = {
        "source_id": "ref",
        "status": "state",
        "opened_at": "opened",
        "updated_at": "changed",
        "assignment_group": "group",
    }

    with open_records(path, source="csv", kind="incident", columns=columns) as stream:
        records, rejections = split_items(list(stream))
        assert stream.audit_log

    assert rejections == []
    first = records[0]
    assert [(e.status, e.group) for e in first.history] == [
        ("new", "L1"),
        ("in_progress", "L2"),
        ("resolved", "L2"),
    ]
    assert first.reassignment_count == 1  # derived: the file has no count column
    assert first.resolved_at == utc(2024, 3, 1, 11)


def test_a_mapping_naming_a_missing_column_is_refused(write_file: WriteFile) -> None:
    path = write_file("ref,state,opened\nA,open,2024-03-01 09:00\n")

    with pytest.raises(IngestError, match="from the column 'Created', but the file has no such"):
        read(
            path,
            source="csv",
            kind="incident",
            columns={"source_id": "ref", "opened_at": "Created"},
        )


def test_a_generic_file_without_kind_or_kind_column_is_refused(write_file: WriteFile) -> None:
    path = write_file("ref,state,opened\nA,open,2024-03-01 09:00\n")

    with pytest.raises(IngestError, match="does not say the kind of its rows"):
        read(
            path,
            source="csv",
            columns={"source_id": "ref", "status": "state", "opened_at": "opened"},
        )


def test_every_named_profile_is_reachable() -> None:
    assert profile_for("servicenow", "change").name == "servicenow_change_request"
    assert profile_for("servicenow", "request").name == "servicenow_sc_req_item"
    assert {profile_for(name).name for name in ("jira", "glpi", "itop", "csv")} == {
        "jira",
        "glpi",
        "itop",
        "csv",
    }
    assert len(PROFILES) == 8


def test_a_chosen_date_order_the_sample_contradicts_is_warned_about(
    write_file: WriteFile, split_items: Split
) -> None:
    path = write_file("ref,state,opened\nA,open,29/02/2016 10:00\nB,open,03/01/2016 10:00\n")

    with open_records(
        path,
        source="csv",
        kind="incident",
        columns={"source_id": "ref", "status": "state", "opened_at": "opened"},
        date_order="month_first",
    ) as stream:
        records, rejections = split_items(list(stream))
        assert stream.date_order_source == "given"
        assert stream.warnings == [
            "dates are read month-first as chosen, but the first rows look day-first"
        ]

    assert [r.source_id for r in records] == ["B"]
    assert records[0].opened_at == utc(2016, 3, 1, 10)
    assert "'29/02/2016 10:00' is not a valid date (month must be in 1..12; read month-first)" in (
        rejections[0].reason
    )
