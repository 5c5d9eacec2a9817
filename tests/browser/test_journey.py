"""A person logs in, switches organisation, opens the home page and logs out."""

import re

import pytest

from openitsms.audit.models import AuditEvent
from openitsms.tenancy.models import Membership, Organisation
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def consultant(make_user):
    north = Organisation.objects.create(name="Northwind", slug="northwind")
    harbour = Organisation.objects.create(name="Harbour", slug="harbour")
    user = make_user("casey", first_name="Casey", last_name="Consultant")
    Membership.objects.create(user=user, organisation=north, role="manager")
    Membership.objects.create(user=user, organisation=harbour, role="auditor")
    return user


def _login(page, username, password):
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_consultant_logs_in_switches_organisation_and_logs_out(page, consultant):
    _login(page, "casey", PASSWORD)
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("heading", name="Your organisations").is_visible()

    page.get_by_role("link", name="Northwind").first.click()
    page.wait_for_url(re.compile(r"/o/northwind/$"))
    assert page.get_by_role("heading", name="Northwind").is_visible()
    assert "Manager" in page.locator(".lead").inner_text()

    switcher = page.get_by_test_id("org-switcher")
    switcher.locator("summary").click()
    switcher.get_by_role("menuitem", name=re.compile("Harbour")).click()
    page.wait_for_url(re.compile(r"/o/harbour/$"))
    assert "Auditor" in page.locator(".lead").inner_text()

    page.get_by_label("Account menu").click()
    page.get_by_test_id("logout").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert page.get_by_role("heading", name="Log in").is_visible()
    assert AuditEvent.objects.filter(action="logout", actor_id=consultant.pk).exists()


def test_wrong_password_shows_one_message_next_to_the_form(page, consultant):
    _login(page, "casey", "not-the-password")
    alert = page.get_by_role("alert").first
    assert "The username or password is not right" in alert.inner_text()
    assert AuditEvent.objects.filter(action="login_failed").count() == 1


def test_owner_creates_an_api_token_and_sees_it_once(page, make_user):
    org = Organisation.objects.create(name="Northwind", slug="northwind")
    user = make_user("alice")
    Membership.objects.create(user=user, organisation=org, role="owner")
    _login(page, "alice", PASSWORD)
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/accounts/tokens/")
    page.get_by_label("Token name").fill("reporting script")
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_test_id("new-token").locator("code").inner_text()
    assert token.startswith("itsms_")
    page.reload()
    assert page.get_by_test_id("new-token").count() == 0
    assert page.get_by_role("cell", name="reporting script").is_visible()
