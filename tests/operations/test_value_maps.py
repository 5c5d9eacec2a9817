"""Value maps: each source's default tables, the organisation's own values in saved mappings,
their pages and API, and how a failed import leads to them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from openitsms.audit.models import AuditEvent
from openitsms.operations.actions import run_import, save_mapping
from openitsms.operations.models import ColumnMapping, ImportRun, Record
from openitsms.operations.value_tables import unknown_values
from openitsms.tenancy.scoping import org_scope
from tests.operations.helpers import HEADER, mapping_for

pytestmark = pytest.mark.django_db

# A ServiceNow incident export with a state of this site's own ("With supplier").
SN_EXPORT = (
    "number,short_description,incident_state,sys_mod_count,opened_at,sys_updated_at,priority\n"
    "INC0001,Printer jam,New,0,01/03/2024 09:00,01/03/2024 09:00,3 - Moderate\n"
    "INC0002,VPN down,With supplier,2,01/03/2024 10:00,02/03/2024 10:00,2 - High\n"
    "INC0003,Mail slow,Resolved,3,01/03/2024 11:00,01/03/2024 15:00,4 - Low\n"
)


def _servicenow_import(org: Any, user: Any, path: Path, mapping: Any = None) -> ImportRun:
    with org_scope(org):
        return run_import(
            organisation=org,
            user=user,
            file=path,
            source="servicenow",
            kind="incident",
            mapping=mapping,
            tz="Europe/London",
            date_order="day_first",
        )


def _grid_data(response: Any) -> dict[str, str]:
    """The inputs of a mapping page as a browser would send them, unchanged."""
    data: dict[str, str] = {"name": response.context["form"]["name"].value()}
    for field in response.context["form"].column_fields:
        data[field.html_name] = field.value() or ""
    for section in response.context["grid"].sections:
        data[f"vm-{section.name}-rows"] = str(len(section.rows))
        for row in section.rows:
            data[f"vm-{section.name}-{row.index}-from"] = row.source
            data[f"vm-{section.name}-{row.index}-to"] = row.target
    return data


def _row_index(response: Any, field: str, source: str) -> int:
    section = next(s for s in response.context["grid"].sections if s.name == field)
    return next(row.index for row in section.rows if row.source == source)


def test_a_site_state_fails_naming_it_and_an_override_on_the_mapping_page_fixes_it(
    org, manager, manager_client, tmp_path
):
    path = tmp_path / "incidents.csv"
    path.write_text(SN_EXPORT, encoding="utf-8")
    failed = _servicenow_import(org, manager, path)
    assert failed.status == "failed"
    with org_scope(org):
        reasons = list(failed.rejections.values_list("reason", flat=True))
        assert not Record.objects.exists()
    assert len(reasons) == 1 and "unknown status 'With supplier'" in reasons[0]

    # The run page names the value and leads to a new mapping for ServiceNow incidents.
    detail = manager_client.get(f"/o/{org.slug}/operations/runs/{failed.pk}/")
    assert detail.context["unknown_values"] == [{"field": "Status", "value": "With supplier"}]
    link = detail.context["values_url"]
    assert link.startswith(f"/o/{org.slug}/operations/mappings/new/?")
    assert "source=servicenow" in link and "kind=incident" in link
    assert b"New mapping for ServiceNow incident values" in detail.content

    new = manager_client.get(link)
    assert new.context["form"].initial["source"] == "servicenow"
    created = manager_client.post(
        link, {"name": "Site states", "source": "servicenow", "kind": "incident"}
    )
    assert created.status_code == 302
    with org_scope(org):
        mapping = ColumnMapping.objects.get(name="Site states")
    assert created["Location"] == (
        f"/o/{org.slug}/operations/mappings/{mapping.pk}/?from_run={failed.pk}"
    )

    # The mapping page offers the unknown value as a row to fill in, beside the defaults.
    page = manager_client.get(created["Location"])
    assert page.status_code == 200
    assert page.context["still_unknown"] == [("Status", "With supplier")]
    data = _grid_data(page)
    index = _row_index(page, "status", "With supplier")
    assert data[f"vm-status-{index}-to"] == ""
    data[f"vm-status-{index}-to"] = "pending"
    saved = manager_client.post(created["Location"], data)
    assert saved.status_code == 302
    with org_scope(org):
        mapping.refresh_from_db()
    assert mapping.value_maps == {"status": {"With supplier": "pending"}}
    event = AuditEvent.objects.for_object(mapping).filter(action="update").get()
    assert event.changes["value_maps"] == [{}, {"status": {"With supplier": "pending"}}]

    after = manager_client.get(created["Location"])
    assert after.context["still_unknown"] == []
    assert f"mapping={mapping.pk}" in after.context["import_again_url"]

    # Imported again with the mapping: it succeeds, with the state read as pending.
    again = _servicenow_import(org, manager, path, mapping=mapping)
    assert again.status == "succeeded", again.message
    with org_scope(org):
        record = Record.objects.get(source_id="INC0002")
    assert (record.status, record.source_status, record.priority) == (
        "pending",
        "With supplier",
        "P2",
    )


def test_the_page_shows_the_sources_defaults_such_as_moderate_as_p3(org, viewer_client):
    with org_scope(org):
        mapping = save_mapping(
            organisation=org,
            name="ServiceNow values",
            source="servicenow",
            kind="incident",
            columns={},
        )
    page = viewer_client.get(f"/o/{org.slug}/operations/mappings/{mapping.pk}/")
    assert page.status_code == 200
    sections = {section.name: section for section in page.context["grid"].sections}
    assert {"status", "priority", "impact", "urgency"} <= set(sections)
    assert "risk" not in sections  # changes only
    p3 = next(group for group in sections["priority"].defaults if group.value == "P3")
    assert "3 - moderate" in p3.sources
    pending = next(group for group in sections["status"].defaults if group.value == "pending")
    assert {"3", "on hold"} <= set(pending.sources)
    assert b"<code>3 - moderate</code>" in page.content
    # A viewer reads the mapping; the page has no form to change it.
    assert b'data-testid="mapping-form"' not in page.content


def test_viewers_cannot_create_change_or_delete_mappings(org, viewer_client):
    mapping = mapping_for(org)
    base = f"/o/{org.slug}/operations/mappings"
    assert viewer_client.get(f"{base}/").status_code == 200
    assert viewer_client.get(f"{base}/new/").status_code == 403
    refused = viewer_client.post(
        f"{base}/new/", {"name": "Mine", "source": "servicenow", "kind": "incident"}
    )
    assert refused.status_code == 403
    assert viewer_client.post(f"{base}/{mapping.pk}/", {"name": "Renamed"}).status_code == 403
    assert viewer_client.get(f"{base}/{mapping.pk}/delete/").status_code == 403
    assert viewer_client.post(f"{base}/{mapping.pk}/delete/").status_code == 403
    with org_scope(org):
        assert list(ColumnMapping.objects.values_list("name", flat=True)) == ["Generic"]


def test_another_organisations_mapping_is_not_found(org, outsider, outsider_client, token_for, api):
    mapping = mapping_for(org)
    base = f"/o/{org.slug}/operations/mappings"
    for url in (
        f"{base}/",
        f"{base}/new/",
        f"{base}/{mapping.pk}/",
        f"{base}/{mapping.pk}/delete/",
    ):
        assert outsider_client.get(url).status_code == 404
        assert outsider_client.post(url, {"name": "x"}).status_code == 404
    # Nor through the outsider's own organisation's address.
    own = f"/o/harbour/operations/mappings/{mapping.pk}/"
    assert outsider_client.get(own).status_code == 404
    token = token_for(outsider)
    one = f"/api/v1/orgs/harbour/column-mappings/{mapping.pk}"
    assert api("get", one, token).status_code == 404
    assert api("put", one, token, {"name": "x"}).status_code == 404
    assert api("delete", one, token).status_code == 404
    with org_scope(org):
        assert ColumnMapping.objects.get().name == "Generic"


def test_the_upload_mapping_page_shows_the_values_and_saves_the_choices(
    org, manager_client, django_capture_on_commit_callbacks
):
    rows = (
        "INC-1,Portal slow,Resolved,04/03/2024 16:00,05/03/2024 11:00,P1,Team A,Portal\n"
        "INC-2,Mail,Parked,04/03/2024 09:00,,Sev 2,Team A,Mail\n"
        "INC-3,Disk,Open,04/03/2024 09:30,,P1,Team B,Mail\n"
    )
    response = manager_client.post(
        f"/o/{org.slug}/operations/import/",
        {
            "file": SimpleUploadedFile("tool.csv", (HEADER + rows).encode()),
            "source": "csv",
            "kind": "incident",
            "time_zone": "Europe/London",
            "date_order": "day_first",
        },
    )
    url = response["Location"]
    page = manager_client.get(url)
    sections = {section.name: section for section in page.context["grid"].sections}
    assert sections["status"].column == "State"
    assert [(r.source, r.target) for r in sections["status"].rows] == [
        ("Resolved", "resolved"),
        ("Parked", ""),
        ("Open", "new"),
    ]
    assert [(r.source, r.target) for r in sections["priority"].rows] == [
        ("P1", "P1"),
        ("Sev 2", ""),
    ]
    assert b"not known" in page.content

    # Choosing another column for the status shows that column's values (htmx).
    partial = manager_client.get(
        url, {"col_status": "Team", "col_priority": "Priority"}, HTTP_HX_REQUEST="true"
    )
    # Only the box's content: the box itself stays on the page with its htmx attributes.
    assert b"<html" not in partial.content and b'id="mapping-values"' not in partial.content
    assert b"<h2>Values</h2>" in partial.content
    assert (
        b"<code>Team B</code>" in partial.content and b"<code>Parked</code>" not in partial.content
    )

    form = page.context["form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    data["name"] = "Our tool"
    for name, section in sections.items():
        data[f"vm-{name}-rows"] = str(len(section.rows))
        data[f"vm-{name}-column"] = section.column
        for row in section.rows:
            data[f"vm-{name}-{row.index}-from"] = row.source
            data[f"vm-{name}-{row.index}-to"] = row.target
    data["vm-status-1-to"] = "pending"  # Parked
    data["vm-status-2-to"] = "in_progress"  # Open: ours differs from the default
    data["vm-priority-1-to"] = "P2"  # Sev 2
    with django_capture_on_commit_callbacks(execute=True):
        done = manager_client.post(url, data)
    assert done.status_code == 302
    with org_scope(org):
        mapping = ColumnMapping.objects.get(name="Our tool")
        run = ImportRun.objects.get()
        statuses = dict(Record.objects.values_list("source_id", "status"))
        priority = Record.objects.get(source_id="INC-2").priority
    # Only what differs from the defaults is kept.
    assert mapping.value_maps == {
        "status": {"Parked": "pending", "Open": "in_progress"},
        "priority": {"Sev 2": "P2"},
    }
    assert run.status == "succeeded", run.message
    assert statuses == {"INC-1": "resolved", "INC-2": "pending", "INC-3": "in_progress"}
    assert priority == "P2"


def test_editing_renames_sets_columns_and_removes_values(org, manager_client):
    with org_scope(org):
        mapping = save_mapping(
            organisation=org,
            name="Jira",
            source="jira",
            kind="request",
            columns={"title": ""},
            value_maps={"status": {"Parked": "pending", "Frozen": "pending"}},
        )
    url = f"/o/{org.slug}/operations/mappings/{mapping.pk}/"
    page = manager_client.get(url)
    data = _grid_data(page)
    data["name"] = "Jira service desk"
    data["col_assignment_group"] = "Squad"
    data[f"vm-status-{_row_index(page, 'status', 'Frozen')}-remove"] = "on"
    free = len(page.context["grid"].sections[0].rows) - 1  # an empty row
    data[f"vm-status-{free}-from"] = "Sleeping"
    data[f"vm-status-{free}-to"] = "pending"
    assert manager_client.post(url, data).status_code == 302
    with org_scope(org):
        mapping.refresh_from_db()
    assert mapping.name == "Jira service desk"
    # The title stays unread (an empty header is kept while its box is left empty).
    assert mapping.columns == {"title": "", "assignment_group": "Squad"}
    assert mapping.value_maps == {"status": {"Parked": "pending", "Sleeping": "pending"}}


def test_bad_rows_are_shown_and_nothing_is_saved(org, manager_client):
    mapping = mapping_for(org)
    other = mapping_for(org, "Other")
    url = f"/o/{org.slug}/operations/mappings/{mapping.pk}/"
    data = _grid_data(manager_client.get(url))
    data.update(
        {
            "vm-status-0-from": "Parked",
            "vm-status-0-to": "",
            "vm-status-1-from": "On hold",
            "vm-status-1-to": "pending",
            "vm-status-2-from": "ON_HOLD",
            "vm-status-2-to": "new",
        }
    )
    response = manager_client.post(url, data)
    assert response.status_code == 422
    errors = [row.error for row in response.context["grid"].sections[0].rows if row.error]
    assert errors == [
        "Choose our value for “Parked”, or tick Remove.",
        "“ON_HOLD” is the same value as “On hold” (case, blanks and _ are ignored).",
    ]
    data.update({"vm-status-0-from": "", "vm-status-2-from": "", "vm-status-2-to": ""})
    data["name"] = other.name
    taken = manager_client.post(url, data)
    assert taken.status_code == 422
    assert taken.context["form"].errors["name"] == ["Another mapping already has this name."]
    with org_scope(org):
        mapping.refresh_from_db()
    assert (mapping.name, mapping.value_maps) == ("Generic", {})


def test_the_list_shows_each_mapping_with_its_counts_in_few_queries(
    org, manager_client, django_assert_max_num_queries
):
    with org_scope(org):
        for n in range(5):
            save_mapping(
                organisation=org,
                name=f"Map {n}",
                source="jira",
                kind="",
                columns={"title": "Summary", "status": "Status"},
                value_maps={"status": {"Parked": "pending"}, "priority": {"Sev 1": "P1"}},
            )
    with django_assert_max_num_queries(8):
        response = manager_client.get(f"/o/{org.slug}/operations/mappings/")
    assert response.status_code == 200
    assert [(r["columns"], r["overrides"]) for r in response.context["rows"]] == [(2, 2)] * 5
    assert b"New mapping" in response.content
    assert b"Jira Service Management" in response.content


def test_deleting_asks_first_and_is_audited(org, owner_client):
    mapping = mapping_for(org)
    url = f"/o/{org.slug}/operations/mappings/{mapping.pk}/delete/"
    confirm = owner_client.get(url)
    assert confirm.status_code == 200 and b"Delete the mapping" in confirm.content
    with org_scope(org):
        assert ColumnMapping.objects.exists()
    done = owner_client.post(url)
    assert done["Location"] == f"/o/{org.slug}/operations/mappings/"
    with org_scope(org):
        assert not ColumnMapping.objects.exists()
    assert AuditEvent.objects.for_object(mapping).filter(action="delete").exists()


def test_a_failed_run_with_a_mapping_links_to_that_mapping(org, manager, manager_client, tmp_path):
    mapping = mapping_for(org)
    path = tmp_path / "export.csv"
    path.write_text(
        HEADER
        + "INC-1,x,Parked,04/03/2024 16:00,,P1,Team A,Portal\n"
        + "INC-2,y,Parked,04/03/2024 17:00,,P1,Team A,Portal\n"
    )
    with org_scope(org):
        run = run_import(
            organisation=org,
            user=manager,
            file=path,
            source="csv",
            kind="incident",
            mapping=mapping,
            date_order="day_first",
        )
    assert run.status == "failed"
    detail = manager_client.get(f"/o/{org.slug}/operations/runs/{run.pk}/")
    assert detail.context["unknown_values"] == [{"field": "Status", "value": "Parked"}]
    assert detail.context["values_mapping"] == mapping
    assert detail.context["values_url"] == (
        f"/o/{org.slug}/operations/mappings/{mapping.pk}/?from_run={run.pk}"
    )
    page = manager_client.get(detail.context["values_url"])
    status = page.context["grid"].sections[0]
    assert [row.source for row in status.rows if row.source] == ["Parked"]


def test_api_round_trip(org, manager, viewer, token_for, api):
    token = token_for(manager)
    base = f"/api/v1/orgs/{org.slug}/column-mappings"
    body = {"name": "SN", "source": "servicenow", "kind": "incident", "columns": {}}
    created = api("post", base, token, body)
    assert created.status_code == 201, created.content
    one = f"{base}/{created.json()['id']}"
    assert api("get", one, token).json()["value_maps"] == {}

    body["value_maps"] = {"status": {"With supplier": "pending"}, "priority": {"Sev 1": "P1"}}
    body["name"] = "ServiceNow site values"
    changed = api("put", one, token, body)
    assert changed.status_code == 200, changed.content
    got = api("get", one, token).json()
    assert got["name"] == "ServiceNow site values"
    assert got["value_maps"] == body["value_maps"]

    assert api("put", one, token_for(viewer), body).status_code == 403
    assert api("delete", one, token_for(viewer)).status_code == 403
    assert api("delete", one, token).status_code == 204
    assert api("get", one, token).status_code == 404
    with org_scope(org):
        assert not ColumnMapping.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"value_maps": {"status": {"With supplier": "waiting"}}}, "value_maps.status"),
        ({"value_maps": {"priority": {"Sev 1": "P9"}}}, "value_maps.priority"),
        ({"value_maps": {"title": {"a": "b"}}}, "value_maps.title"),
        ({"value_maps": {"nope": {"a": "new"}}}, "value_maps.nope"),
        ({"value_maps": {"risk": {"a": "high"}}}, "value_maps.risk"),  # not for incidents
        ({"value_maps": {"status": {"On hold": "pending", "on_hold": "new"}}}, "value_maps.status"),
        ({"columns": {"nope": "A"}}, "columns.nope"),
        ({"name": "Taken"}, "name"),
        ({"name": "  "}, "name"),
        ({"kind": None}, "kind"),  # ServiceNow needs a kind
        ({"source": "openitsms"}, "source"),
        ({"kind": "outage"}, "kind"),
    ],
)
def test_api_refuses_bad_input_naming_the_field(org, manager, token_for, api, change, field):
    token = token_for(manager)
    base = f"/api/v1/orgs/{org.slug}/column-mappings"
    api("post", base, token, {"name": "Taken", "columns": {}})
    body = {"name": "SN", "source": "servicenow", "kind": "incident", "columns": {}}
    one = f"{base}/{api('post', base, token, body).json()['id']}"
    response = api("put", one, token, {**body, **change})
    assert response.status_code == 422, response.content
    payload = response.json()
    assert payload["code"] == "invalid"
    # Fields the schema refuses are named as the request's body holds them.
    assert field in [(error["field"] or "").removeprefix("body.") for error in payload["errors"]]
    with org_scope(org):
        mapping = ColumnMapping.objects.get(name="SN")
    assert (mapping.source, mapping.kind, mapping.value_maps) == ("servicenow", "incident", {})


def test_api_gives_the_default_tables_of_a_source(org, viewer, token_for, api):
    token = token_for(viewer)
    url = f"/api/v1/orgs/{org.slug}/value-map-defaults?source=servicenow&kind=incident"
    tables = {table["field"]: table for table in api("get", url, token).json()}
    assert tables["priority"]["table"]["3 - moderate"] == "P3"
    assert tables["status"]["table"]["6"] == "resolved"
    assert "keep_previous" in tables["status"]["vocabulary"]
    assert {"pattern": r"^(awaiting|waiting|pending)\b", "value": "pending"} in tables["status"][
        "patterns"
    ]
    assert "risk" not in tables
    changes = api("get", f"{url.replace('incident', 'change')}", token).json()
    assert "risk" in {table["field"] for table in changes}
    missing = api("get", f"/api/v1/orgs/{org.slug}/value-map-defaults?source=servicenow", token)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "kind"


def test_unknown_values_are_read_from_rejection_reasons():
    reasons = [
        "incident_state: unknown status 'With supplier' (add it to the status map); "
        "priority: unknown priority 'Sev \"9\\'' (add it to the priority map)",
        "State: unknown status 'With supplier' (add it to the status map)",
        "Change type: unknown change type 'Big' (add it to the change type map)",
        "Opened: not a date",
    ]
    assert unknown_values(reasons) == [
        ("status", "With supplier"),
        ("priority", "Sev \"9'"),
        ("change_type", "Big"),
    ]
