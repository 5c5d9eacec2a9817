"""The requirement tree page: clause order, status, evidence, processes, filters, counts."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.catalogue.factories import conformity, evidence, process


def _url(org):
    return reverse("catalogue:requirement_list", kwargs={"org_slug": org.slug})


def _numbers(html):
    return re.findall(r'data-number="([\d.]+)"', html)


def test_tree_lists_the_77_requirements_in_clause_order_indented_by_depth(viewer_client, org):
    response = viewer_client.get(_url(org))
    html = response.content.decode()
    assert response.status_code == 200
    numbers = _numbers(html)
    assert len(numbers) == 77
    assert numbers[:6] == ["4", "4.1", "4.2", "4.3", "4.4", "5"]
    assert numbers.index("8.3.4") < numbers.index("8.3.4.1") < numbers.index("8.4")
    assert numbers[-3:] == ["10", "10.1", "10.2"]
    assert 'class="depth-3" data-number="8.3.4.1"' in html
    assert 'class="depth-0 clause-heading" data-number="8"' in html


def test_each_row_shows_status_operator_evidence_freshness_and_processes(
    viewer_client, org, process_owner
):
    conformity(
        org,
        "8.3.4.1",
        "partial",
        operated_by="external_supplier",
        operator_name="Bluefin Hosting Ltd",
    )
    evidence(org, "8.6.1", title="Current procedure", expires_in_days=200)
    evidence(org, "8.6.1", title="Old report", expires_in_days=-3)
    evidence(org, "8.6.2", title="Due soon", expires_in_days=10)
    evidence(org, "8.6.2", title="Deleted", expires_in_days=-50, deleted=True)
    process(org, "incident-management", "8.6.1", owner=process_owner, name="Incident management")
    html = viewer_client.get(_url(org)).content.decode()
    row = _row(html, "8.3.4.1")
    assert "conformity-partial" in row and "Partially conformant" in row
    assert "Bluefin Hosting Ltd (external supplier)" in row
    incident = _row(html, "8.6.1")
    assert "freshness-stale" in incident and "Out of date" in incident and "2 items" in incident
    assert "Incident management" in incident and "petra" in incident
    request_row = _row(html, "8.6.2")
    assert "freshness-due_soon" in request_row and "1 item" in request_row
    assert "freshness-none" in _row(html, "8.6.3") and "No evidence" in _row(html, "8.6.3")
    assert "Not assessed" in _row(html, "6.3")


def _row(html, number):
    match = re.search(rf'<tr[^>]*data-number="{re.escape(number)}">(.*?)</tr>', html, re.S)
    assert match, number
    return match.group(1)


def test_summary_counts_statuses_and_evidence_gaps(viewer_client, org):
    conformity(org, "4.1", "conformant")
    conformity(org, "4.2", "conformant")
    conformity(org, "6.3", "nonconformant")
    conformity(org, "7.2", "partial")
    evidence(org, "4.1", expires_in_days=-1)
    evidence(org, "4.2", "4.3")
    response = viewer_client.get(_url(org))
    summary = response.context["summary"]
    assert (summary.conformant, summary.partial, summary.nonconformant) == (2, 1, 1)
    assert summary.not_assessed == 73 and summary.total == 77
    assert summary.no_evidence == 74 and summary.stale_evidence == 1
    tally = response.content.decode().split('data-testid="summary"')[1].split("</section>")[0]
    assert "<strong>2</strong> conformant" in tally
    assert "<strong>74</strong> with no evidence" in tally
    assert "<strong>1</strong> with out-of-date evidence" in tally


def test_filter_by_status(viewer_client, org):
    conformity(org, "6.3", "nonconformant")
    conformity(org, "8.7.2", "nonconformant")
    html = viewer_client.get(_url(org), {"status": "nonconformant"}).content.decode()
    assert _numbers(html) == ["6.3", "8.7.2"]
    assert "2 of 77 requirements match" in html
    not_assessed = _numbers(
        viewer_client.get(_url(org), {"status": "not_assessed"}).content.decode()
    )
    assert len(not_assessed) == 75 and "6.3" not in not_assessed


def test_filter_by_clause_keeps_the_subtree(viewer_client, org):
    html = viewer_client.get(_url(org), {"clause": "9"}).content.decode()
    assert _numbers(html) == ["9", "9.1", "9.2", "9.3", "9.4"]
    # "1" is not offered (clause 10 must not match by prefix): the filter is ignored.
    assert len(_numbers(viewer_client.get(_url(org), {"clause": "1"}).content.decode())) == 77


def test_filter_by_process_and_by_process_owner(viewer_client, org, process_owner, owner):
    process(org, "incident-management", "8.6.1", owner=process_owner)
    process(org, "problem-management", "8.6.3", "8.6", owner=owner)
    html = viewer_client.get(_url(org), {"process": "incident-management"}).content.decode()
    assert _numbers(html) == ["8.6.1"]
    html = viewer_client.get(_url(org), {"owner": owner.pk}).content.decode()
    assert _numbers(html) == ["8.6", "8.6.3"]
    page = viewer_client.get(_url(org)).content.decode()
    assert '<option value="incident-management">' in page
    assert f'<option value="{process_owner.pk}">petra</option>' in page


def test_filter_by_evidence_state(viewer_client, org):
    evidence(org, "4.1", expires_in_days=-1)
    evidence(org, "4.2")
    missing = _numbers(viewer_client.get(_url(org), {"evidence": "missing"}).content.decode())
    assert len(missing) == 75 and "4.1" not in missing and "4.2" not in missing
    stale = _numbers(viewer_client.get(_url(org), {"evidence": "stale"}).content.decode())
    assert stale == ["4.1"]


def test_another_organisations_records_do_not_count(viewer_client, org, other_org, outsider):
    conformity(other_org, "6.3", "nonconformant")
    evidence(other_org, "6.3", expires_in_days=-5)
    process(other_org, "planning", "6.3", owner=outsider)
    response = viewer_client.get(_url(org))
    row = _row(response.content.decode(), "6.3")
    assert "Not assessed" in row and "No evidence" in row and "planning" not in row.lower()
    assert response.context["summary"].nonconformant == 0


def test_htmx_filter_returns_only_the_rows_partial(viewer_client, org):
    response = viewer_client.get(_url(org), {"clause": "10"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="requirement-rows">')
    assert "<html" not in body
    assert _numbers(body) == ["10", "10.1", "10.2"]


def test_empty_filter_result_says_what_to_do(viewer_client, org):
    html = viewer_client.get(_url(org), {"status": "conformant"}).content.decode()
    assert "No requirement matches these filters" in html and "Clear the filters" in html


def test_viewer_and_auditor_see_no_edit_controls(viewer_client, auditor_client, org):
    for client in (viewer_client, auditor_client):
        html = client.get(_url(org)).content.decode()
        assert 'id="bulk-form"' not in html
        assert 'name="requirements"' not in html


def test_manager_sees_a_checkbox_on_every_row(manager_client, org):
    html = manager_client.get(_url(org)).content.decode()
    assert 'id="bulk-form"' in html
    assert html.count('name="requirements"') == 77


def test_process_owner_can_tick_only_what_their_processes_meet(org, process_owner, owner):
    from django.test import Client

    process(org, "incident-management", "8.6.1", owner=process_owner)
    process(org, "problem-management", "8.6.3", owner=owner)
    client = Client()
    client.force_login(process_owner)
    html = client.get(_url(org)).content.decode()
    assert html.count('name="requirements"') == 1
    assert "Tick 8.6.1 Incident management" in html


def test_outsider_gets_404(outsider_client, org):
    assert outsider_client.get(_url(org)).status_code == 404


def test_nav_marks_requirements_as_current(viewer_client, org):
    html = viewer_client.get(_url(org)).content.decode()
    assert f'href="{_url(org)}" aria-current="page">Requirements</a>' in html
    home = viewer_client.get(reverse("tenancy:org_home", kwargs={"org_slug": org.slug}))
    assert f'<a href="{_url(org)}">Requirements</a>' in home.content.decode()


def _populate(org, users):
    numbers = ["4.1", "5.2", "6.3", "7.5.3", "8.2.6", "8.6.1", "8.7.2", "9.2", "10.1"]
    for i, number in enumerate(numbers):
        conformity(
            org,
            number,
            ["conformant", "partial", "nonconformant"][i % 3],
            assessed_by=users[i % len(users)],
        )
    for i in range(20):
        evidence(
            org,
            numbers[i % len(numbers)],
            numbers[(i + 3) % len(numbers)],
            title=f"Evidence {i}",
            expires_in_days=[-5, 10, 200, None][i % 4],
        )
    for i, number in enumerate(numbers):
        process(org, f"process-{i}", number, "8", owner=users[i % len(users)])


def test_tree_query_count_does_not_grow_with_rows(
    manager_client, org, owner, manager, process_owner, django_assert_max_num_queries
):
    url = _url(org)
    with CaptureQueriesContext(connection) as empty:
        manager_client.get(url)
    _populate(org, [owner, manager, process_owner])
    with django_assert_max_num_queries(10):
        response = manager_client.get(url)
    with CaptureQueriesContext(connection) as full:
        manager_client.get(url, {"status": "partial", "evidence": "stale"})
    assert response.context["summary"].conformant == 3
    assert len(full) == len(empty)


def test_process_owner_without_processes_sees_no_assessment_form(org, process_owner):
    from django.test import Client

    client = Client()
    client.force_login(process_owner)
    html = client.get(_url(org)).content.decode()
    assert 'id="bulk-form"' not in html and 'name="requirements"' not in html
