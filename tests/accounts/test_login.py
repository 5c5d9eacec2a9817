import pytest
from django.urls import reverse

from openitsms.audit.models import AuditEvent
from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"


def test_login_and_logout_are_recorded(client, owner):
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="login", actor_id=owner.pk).count() == 1
    client.post(reverse("accounts:logout"))
    assert AuditEvent.objects.filter(action="logout", actor_id=owner.pk).count() == 1


def test_wrong_password_gives_one_generic_message_and_is_logged(client, owner):
    for username in ["alice", "nobody-by-this-name"]:
        response = client.post(LOGIN, {"username": username, "password": "wrong"})
        assert response.status_code == 200
        assert "The username or password is not right." in response.content.decode()
    failed = AuditEvent.objects.filter(action="login_failed").order_by("seq")
    assert [e.object_repr for e in failed] == ["login:alice", "login:nobody-by-this-name"]


def test_repeated_failures_lock_the_account_for_a_while_even_with_the_right_password(
    client, owner, settings
):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(LOGIN, {"username": "alice", "password": "wrong"})
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action="login").exists()


def test_lock_counts_only_failures_inside_the_window(client, owner, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 60
    from datetime import timedelta
    from unittest import mock

    from django.utils import timezone

    past = timezone.now() - timedelta(seconds=120)
    with mock.patch("openitsms.audit.actions.timezone.now", return_value=past):
        for _ in range(2):
            client.post(LOGIN, {"username": "alice", "password": "wrong"})
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302


def test_password_reset_sends_a_link_that_sets_a_new_password(client, owner, mailoutbox):
    client.post(reverse("accounts:password_reset"), {"email": "alice@example.com"})
    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    path = next(line for line in body.splitlines() if "/accounts/password/reset/" in line)
    path = path.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    form_url = response.redirect_chain[-1][0]
    client.post(
        form_url, {"new_password1": "brand-new-pass-42", "new_password2": "brand-new-pass-42"}
    )
    owner.refresh_from_db()
    assert owner.check_password("brand-new-pass-42")


def test_password_change_requires_the_old_password(owner_client, owner):
    url = reverse("accounts:password_change")
    bad = owner_client.post(
        url,
        {
            "old_password": "nope",
            "new_password1": "x-new-pass-123",
            "new_password2": "x-new-pass-123",
        },
    )
    assert bad.status_code == 200
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    good = owner_client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "x-new-pass-123",
            "new_password2": "x-new-pass-123",
        },
    )
    assert good.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("x-new-pass-123")


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2_in_production_settings():
    from django.conf import settings as live

    from openitsms import settings as configured

    assert configured.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert live.AUTH_PASSWORD_VALIDATORS


def test_admin_is_for_superusers_only(client, make_user):
    staff = make_user("staffer", is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/").status_code == 302
    root = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(root)
    assert client.get("/admin/").status_code == 200
