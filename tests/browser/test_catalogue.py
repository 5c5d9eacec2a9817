"""A manager reviews the requirements, assesses two at once and checks one requirement's page."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from openitsms.catalogue.models import Conformity, Requirement
from openitsms.tenancy.models import Membership, Organisation
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _login(page, username, password):
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def northwind(make_user):
    org = Organisation.objects.create(name="Northwind", slug="northwind")
    user = make_user("mark", first_name="Mark", last_name="Manager")
    Membership.objects.create(user=user, organisation=org, role="manager")
    for number in ("8.6.1", "8.6.2"):
        Conformity.all_orgs.create(
            organisation=org,
            requirement=Requirement.objects.primary().get(number=number),
            status="partial",
        )
    # Resolve the URLs once outside a request, as the server does at start-up.
    reverse("catalogue:requirement_list", kwargs={"org_slug": org.slug})
    return org


def test_manager_filters_assesses_two_requirements_and_sees_the_history(page, northwind):
    _login(page, "mark", PASSWORD)
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/o/northwind/")
    page.get_by_role("navigation").get_by_role("link", name="Requirements", exact=True).click()
    page.wait_for_url(re.compile(r"/o/northwind/requirements/$"))
    expect(page.get_by_role("heading", name="Requirements", exact=True)).to_be_visible()
    rows = page.locator("tr[data-number]")
    expect(rows).to_have_count(77)

    page.locator("#requirement-filters").get_by_label("Status").select_option("partial")
    expect(rows).to_have_count(2)
    expect(page).to_have_url(re.compile(r"status=partial"))

    page.get_by_label("Tick 8.6.1 Incident management").check()
    page.get_by_label("Tick 8.6.2 Service request management").check()
    bulk = page.locator("#bulk-form")
    expect(bulk.locator("[data-selected-count]")).to_have_text("(2 ticked)")
    bulk.get_by_label("Status").select_option("conformant")
    bulk.get_by_role("button", name="Apply to the ticked requirements").click()

    expect(page.get_by_role("status").first).to_contain_text(
        "Assessment recorded for 2 requirements: 8.6.1, 8.6.2."
    )
    assert set(
        Conformity.all_orgs.filter(organisation=northwind).values_list("status", flat=True)
    ) == {"conformant"}

    page.get_by_role("link", name="Clear filters").click()
    expect(rows).to_have_count(77)
    page.get_by_role("link", name="8.6.1 Incident management").click()
    expect(page.get_by_role("heading", name="8.6.1 Incident management")).to_be_visible()
    crosswalk = page.get_by_test_id("crosswalk")
    expect(crosswalk).to_contain_text("ISO/IEC 27001:2022")
    expect(crosswalk).to_contain_text("Annex A A.5.24")
    expect(page.get_by_test_id("conformity-status")).to_have_text("Conformant")
    history = page.get_by_test_id("history")
    expect(history.locator("del").first).to_have_text("Partially conformant")
    expect(history.locator("ins").first).to_have_text("Conformant")
    expect(history).to_contain_text("mark")
