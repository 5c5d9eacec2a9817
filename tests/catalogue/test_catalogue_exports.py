"""The conformity table as CSV and XLSX: clause order, indentation, and no formula injection."""

import csv
import io
from datetime import date

import openpyxl
from django.urls import reverse

from openitsms.catalogue.exports import COLUMNS, csv_safe
from tests.catalogue.factories import conformity, evidence, today


def _csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _page_url(org, ext):
    return reverse(f"catalogue:conformity_export_{ext}", kwargs={"org_slug": org.slug})


def _sample(org, owner):
    conformity(
        org,
        "8.3.4.1",
        "partial",
        operated_by="external_supplier",
        operator_name='=HYPERLINK("http://evil.example","click")',
        notes="+cmd|' /C calc'!A0",
        assessed_by=owner,
        assessed_on=date(2026, 3, 2),
    )
    conformity(org, "6.3", "nonconformant", notes="-2+3", assessed_by=owner)
    evidence(org, "8.3.4.1", expires_in_days=-1)
    evidence(org, "8.3.4.1")


def test_csv_download_from_the_tree_has_every_requirement_in_clause_order(
    viewer_client, org, owner
):
    _sample(org, owner)
    response = viewer_client.get(_page_url(org, "csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="conformity-northwind-{today().isoformat()}.csv"'
    )
    rows = _csv_rows(response)
    assert rows[0] == COLUMNS
    numbers = [r[0] for r in rows[1:]]
    assert len(numbers) == 77 and numbers[:3] == ["4", "4.1", "4.2"] and numbers[-1] == "10.2"
    supplier = rows[1 + numbers.index("8.3.4.1")]
    assert supplier[:3] == ["8.3.4.1", "Management of external suppliers", "Partially conformant"]
    assert supplier[3] == "External supplier"
    assert supplier[5:9] == ["2", "Out of date", "alice", "2026-03-02"]
    heading = rows[1 + numbers.index("4")]
    assert heading[2] == "Not assessed" and heading[5] == "0" and heading[6] == "No evidence"


def test_csv_cells_that_look_like_formulas_are_escaped(viewer_client, org, owner):
    _sample(org, owner)
    rows = _csv_rows(viewer_client.get(_page_url(org, "csv")))
    supplier = next(r for r in rows if r[0] == "8.3.4.1")
    assert supplier[4] == '\'=HYPERLINK("http://evil.example","click")'
    assert supplier[9] == "'+cmd|' /C calc'!A0"
    assert next(r for r in rows if r[0] == "6.3")[9] == "'-2+3"
    assert [csv_safe(v) for v in ["@SUM(A1)", "\tx", "safe", 3, "a=b"]] == [
        "'@SUM(A1)",
        "'\tx",
        "safe",
        3,
        "a=b",
    ]


def test_xlsx_download_keeps_the_tree_with_indented_titles_and_text_stays_text(
    viewer_client, org, owner
):
    _sample(org, owner)
    response = viewer_client.get(_page_url(org, "xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    ws = wb["Conformity"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS
    numbers = [r[0] for r in rows[1:]]
    assert len(numbers) == 77 and numbers[:3] == ["4", "4.1", "4.2"] and numbers[-1] == "10.2"
    indents = {ws.cell(i, 1).value: ws.cell(i, 2).alignment.indent for i in range(2, 79)}
    assert (indents["8"], indents["8.3"], indents["8.3.4"], indents["8.3.4.1"]) == (0, 1, 2, 3)
    i = 2 + numbers.index("8.3.4.1")
    operator = ws.cell(i, 5)
    assert operator.value == '=HYPERLINK("http://evil.example","click")'
    assert operator.data_type == "s"  # stored as text: never run as a formula
    assert ws.cell(i, 10).data_type == "s"
    assert ws.cell(i, 6).value == 2 and ws.cell(i, 7).value == "Out of date"
    assert ws.cell(i, 9).value.date() == date(2026, 3, 2)
    assert ws.cell(i, 3).value == "Partially conformant"
    about = dict(wb["About"].iter_rows(values_only=True))
    assert about["Organisation"] == "Northwind"
    assert about["Standard"] == "ISO/IEC 20000-1:2018"
    assert about["Requirements"] == 77


def test_exports_follow_the_filters(viewer_client, org, owner):
    _sample(org, owner)
    rows = _csv_rows(viewer_client.get(_page_url(org, "csv"), {"status": "nonconformant"}))
    assert [r[0] for r in rows[1:]] == ["6.3"]
    wb = openpyxl.load_workbook(
        io.BytesIO(viewer_client.get(_page_url(org, "xlsx"), {"clause": "9"}).content)
    )
    assert [r[0] for r in wb["Conformity"].iter_rows(min_row=2, values_only=True)] == [
        "9",
        "9.1",
        "9.2",
        "9.3",
        "9.4",
    ]
    assert dict(wb["About"].iter_rows(values_only=True))["Filters"] == "clause=9"


def test_the_tree_links_to_both_downloads_with_its_filters(viewer_client, org):
    url = reverse("catalogue:requirement_list", kwargs={"org_slug": org.slug})
    html = viewer_client.get(url, {"status": "partial"}).content.decode()
    assert f'href="{_page_url(org, "csv")}?status=partial"' in html
    assert f'href="{_page_url(org, "xlsx")}?status=partial"' in html


def test_api_exports(viewer, org, owner, token_for, api):
    _sample(org, owner)
    token = token_for(viewer)
    response = api("get", f"/api/v1/orgs/{org.slug}/conformity.csv?evidence=stale", token)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert [r[0] for r in _csv_rows(response)[1:]] == ["8.3.4.1"]
    response = api("get", f"/api/v1/orgs/{org.slug}/conformity.xlsx", token)
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(response.content))["Conformity"]
    assert ws.max_row == 78


def test_exports_are_walled(outsider_client, org):
    assert outsider_client.get(_page_url(org, "csv")).status_code == 404
    assert outsider_client.get(_page_url(org, "xlsx")).status_code == 404


def test_export_query_count_is_flat(viewer_client, org, owner, django_assert_max_num_queries):
    for i in range(20):
        evidence(org, "8.6.1", "4.1", title=f"E{i}", expires_in_days=[-1, 10, 100][i % 3])
    for number in ["4.1", "6.3", "8.6.1"]:
        conformity(org, number, "partial", assessed_by=owner)
    with django_assert_max_num_queries(8):
        viewer_client.get(_page_url(org, "xlsx"))
