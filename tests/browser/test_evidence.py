"""A manager adds evidence with a file, checks its SHA-256, adds a second version, downloads it."""

import hashlib
import re
from pathlib import Path

import pytest

from openitsms.catalogue.models import Requirement
from openitsms.evidence.models import EvidenceItem
from openitsms.tenancy.models import Membership, Organisation
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _login(page, username, password):
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_manager_adds_evidence_with_a_file_then_a_second_version_and_downloads_it(
    page, make_user, tmp_path
):
    org = Organisation.objects.create(name="Northwind", slug="northwind")
    user = make_user("mark", first_name="Mark", last_name="Manager")
    Membership.objects.create(user=user, organisation=org, role="manager")
    first = b"Date,Incidents\n2026-01,41\n"
    second = b"Date,Incidents\n2026-01,41\n2026-02,37\n"
    (tmp_path / "incidents.csv").write_bytes(first)
    (tmp_path / "incidents-feb.csv").write_bytes(second)

    _login(page, "mark", PASSWORD)
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/o/northwind/evidence/")
    assert page.get_by_text("No evidence yet").is_visible()
    page.get_by_role("link", name="Add evidence").first.click()

    page.get_by_label("Title").fill("Incident statistics")
    page.get_by_label("Kind").select_option("export")
    page.get_by_label("Effective date").fill("2026-02-01")
    page.get_by_label("Renew every (days)").fill("31")
    clause = Requirement.objects.primary().get(number="8.6.1")
    page.get_by_label("Clauses it supports").select_option(value=[str(clause.pk)])
    page.get_by_label("File (first version)").set_input_files(str(tmp_path / "incidents.csv"))
    page.get_by_label("Version note").fill("From the ITSM tool")
    page.get_by_role("button", name="Add evidence").click()

    page.wait_for_url(re.compile(r"/o/northwind/evidence/\d+/$"))
    assert page.get_by_role("heading", name="Incident statistics").is_visible()
    versions = page.get_by_test_id("versions")
    assert versions.get_by_role("cell", name="incidents.csv").is_visible()
    assert page.get_by_test_id("sha256").first.inner_text() == hashlib.sha256(first).hexdigest()
    assert "8.6.1 Incident management" in page.locator("main").inner_text()

    page.get_by_label("New version").set_input_files(str(tmp_path / "incidents-feb.csv"))
    page.get_by_label("What changed").fill("February added")
    page.get_by_role("button", name="Upload").click()
    assert page.get_by_role("status").get_by_text("Version 2 of").is_visible()
    hashes = page.get_by_test_id("sha256").all_inner_texts()
    assert hashes == [hashlib.sha256(second).hexdigest(), hashlib.sha256(first).hexdigest()]
    assert versions.get_by_text("February added").is_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download version 2").click()
    download = download_info.value
    assert download.suggested_filename == "incidents-feb.csv"
    assert Path(download.path()).read_bytes() == second

    item = EvidenceItem.all_orgs.get(title="Incident statistics")
    assert list(item.versions.values_list("version", flat=True)) == [2, 1]
