"""Suggesting a column mapping from headers (and sample values) for files from any tool."""

from __future__ import annotations

import json
from dataclasses import fields

from openitsms.operations.ingest import (
    FIELD_BY_NAME,
    FIELDS,
    NormalisedRecord,
    header_key,
    suggest_mapping,
)

SERVICENOW_HEADER_LINE = (
    "number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,"
    "caller_id,opened_by,opened_at,sys_created_by,sys_created_at,sys_updated_by,"
    "sys_updated_at,contact_type,location,category,subcategory,u_symptom,cmdb_ci,impact,"
    "urgency,priority,assignment_group,assigned_to,knowledge,u_priority_confirmation,notify,"
    "problem_id,rfc,vendor,caused_by,closed_code,resolved_by,resolved_at,closed_at"
)
SERVICENOW_HEADERS = SERVICENOW_HEADER_LINE.split(",")


def test_header_keys_ignore_case_and_separators() -> None:
    assert header_key("sys_created_on") == header_key("Sys Created On") == "sys created on"
    assert header_key("Custom field (Request Type)") == "custom field request type"


def test_plain_words_from_an_unknown_tool() -> None:
    suggestion = suggest_mapping(
        ["Ref", "Title", "Status", "Priority", "Created", "Resolved", "Closed", "Assigned group"]
    )

    assert suggestion.columns == {
        "source_id": "Ref",
        "title": "Title",
        "status": "Status",
        "priority": "Priority",
        "assignment_group": "Assigned group",
        "opened_at": "Created",
        "resolved_at": "Resolved",
        "closed_at": "Closed",
    }
    assert suggestion.missing_required == []
    assert all(0.9 <= score <= 1.0 for score in suggestion.confidence.values())


def test_servicenow_field_names() -> None:
    suggestion = suggest_mapping(SERVICENOW_HEADERS)

    assert suggestion.columns["source_id"] == "number"
    assert suggestion.columns["status"] == "incident_state"
    assert suggestion.columns["opened_at"] == "opened_at"
    assert suggestion.columns["updated_at"] == "sys_updated_at"
    assert suggestion.columns["sequence"] == "sys_mod_count"
    assert suggestion.columns["configuration_item"] == "cmdb_ci"
    assert suggestion.columns["change_id"] == "rfc"
    assert suggestion.columns["caused_by_change"] == "caused_by"
    assert "kind" not in suggestion.columns  # contact_type is not the kind
    assert "contact_type" in suggestion.unmapped_headers
    assert "caller_id" in suggestion.unmapped_headers


def test_jira_headers_prefer_the_issue_key_and_read_custom_fields() -> None:
    suggestion = suggest_mapping(
        ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Created"]
        + ["Custom field (Time to resolution)", "sys_created_on"]
    )

    assert suggestion.columns["source_id"] == "Issue key"
    assert suggestion.columns["kind"] == "Issue Type"
    assert suggestion.columns["title"] == "Summary"
    assert suggestion.columns["resolution_remaining_s"] == "Custom field (Time to resolution)"
    # "Created" ranks above "sys_created_on" among the opened-time synonyms
    assert suggestion.columns["opened_at"] == "Created"
    assert suggestion.confidence["opened_at"] > 0.9


def test_partial_names_are_suggested_with_less_confidence() -> None:
    suggestion = suggest_mapping(["Ticket no", "Incident opened date", "Support group name"])

    assert suggestion.columns == {
        "source_id": "Ticket no",
        "assignment_group": "Support group name",
        "opened_at": "Incident opened date",
    }
    assert suggestion.confidence["opened_at"] < 0.8
    assert suggestion.missing_required == ["status"]


def test_sample_values_confirm_or_contradict_the_names() -> None:
    headers = ["Ticket", "Date", "State"]

    not_dates = suggest_mapping(headers, [["T1", "someday", "Open"], ["T2", "later", "Closed"]])
    dates = suggest_mapping(headers, [["T1", "01/03/2016", "Open"], ["T2", "02/03/2016", "Done"]])

    assert "opened_at" not in not_dates.columns
    assert "Date" in not_dates.unmapped_headers
    assert dates.columns["opened_at"] == "Date"
    assert 0.45 < dates.confidence["opened_at"] < 0.9


def test_the_suggestion_is_plain_json_with_known_fields() -> None:
    suggestion = suggest_mapping(SERVICENOW_HEADERS)

    loaded = json.loads(json.dumps(suggestion.as_dict()))

    assert loaded["columns"] == suggestion.columns
    assert set(loaded["columns"]) <= set(FIELD_BY_NAME)
    assert set(loaded["confidence"]) == set(loaded["columns"])


def test_every_field_but_the_update_number_lands_on_the_record() -> None:
    on_record = {field.name for field in fields(NormalisedRecord)}

    assert [spec.name for spec in FIELDS if spec.name not in on_record] == ["sequence"]
