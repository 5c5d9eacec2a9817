"""Shared fixtures: two organisations and the personas that cross their walls.

alice (owner), mark (manager), petra (process owner), aud (auditor), vic (viewer) belong to
Northwind; oscar owns Harbour and is the outsider for every Northwind test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Any) -> None:
    """Jobs run inline unless a test chooses the database backend; files go to a temp folder."""
    settings.MEDIA_ROOT = str(tmp_path / "files")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db: Any) -> Any:
    from django.contrib.auth import get_user_model

    def make(username: str, **extra: Any) -> Any:
        User = get_user_model()
        extra.setdefault("email", f"{username}@example.com")
        return User.objects.create_user(username=username, password=PASSWORD, **extra)

    return make


@pytest.fixture
def org(db: Any) -> Any:
    from openitsms.tenancy.models import Organisation

    return Organisation.objects.create(
        name="Northwind", slug="northwind", time_zone="Europe/London"
    )


@pytest.fixture
def other_org(db: Any) -> Any:
    from openitsms.tenancy.models import Organisation

    return Organisation.objects.create(name="Harbour", slug="harbour", time_zone="America/New_York")


def _member(make_user: Any, org: Any, username: str, role: str) -> Any:
    from openitsms.tenancy.models import Membership

    user = make_user(username)
    Membership.objects.create(user=user, organisation=org, role=role)
    return user


@pytest.fixture
def owner(make_user: Any, org: Any) -> Any:
    return _member(make_user, org, "alice", "owner")


@pytest.fixture
def manager(make_user: Any, org: Any) -> Any:
    return _member(make_user, org, "mark", "manager")


@pytest.fixture
def process_owner(make_user: Any, org: Any) -> Any:
    return _member(make_user, org, "petra", "process_owner")


@pytest.fixture
def auditor(make_user: Any, org: Any) -> Any:
    return _member(make_user, org, "aud", "auditor")


@pytest.fixture
def viewer(make_user: Any, org: Any) -> Any:
    return _member(make_user, org, "vic", "viewer")


@pytest.fixture
def outsider(make_user: Any, other_org: Any) -> Any:
    return _member(make_user, other_org, "oscar", "owner")


def _client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner: Any) -> Client:
    return _client_for(owner)


@pytest.fixture
def manager_client(manager: Any) -> Client:
    return _client_for(manager)


@pytest.fixture
def viewer_client(viewer: Any) -> Client:
    return _client_for(viewer)


@pytest.fixture
def auditor_client(auditor: Any) -> Client:
    return _client_for(auditor)


@pytest.fixture
def outsider_client(outsider: Any) -> Client:
    return _client_for(outsider)


@pytest.fixture
def token_for() -> Any:
    from openitsms.accounts.models import ApiToken

    def issue(user: Any) -> str:
        return ApiToken.issue(user=user, name="test")[1]

    return issue


@pytest.fixture
def api(client: Client) -> Any:
    """Call the API with a bearer token: api("get", "/api/v1/me", token)."""
    import json

    def call(method: str, path: str, token: str | None = None, body: Any = None) -> Any:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        fn = getattr(client, method.lower())
        if body is not None:
            return fn(path, data=json.dumps(body), content_type="application/json", **headers)
        return fn(path, **headers)

    return call


@pytest.fixture
def mailoutbox_clear(mailoutbox: list[Any]) -> Iterator[list[Any]]:
    mailoutbox.clear()
    yield mailoutbox


def _audit_trigger_sql(kind: str) -> list[str]:
    import importlib

    from django.db import connection

    migration = importlib.import_module("openitsms.audit.migrations.0002_append_only_triggers")
    vendor = "POSTGRES" if connection.vendor == "postgresql" else "SQLITE"
    return list(getattr(migration, vendor if kind == "create" else f"{vendor}_REVERSE"))


@pytest.fixture
def audit_triggers(db: Any) -> None:
    """Make sure the append-only triggers exist (an earlier transactional test drops them)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in _audit_trigger_sql("create"):
            if connection.vendor == "postgresql" and "CREATE TRIGGER" in sql:
                sql = sql.replace("CREATE TRIGGER", "CREATE OR REPLACE TRIGGER")
            cursor.execute(sql)


@pytest.fixture
def transactional_audit(transactional_db: Any) -> Iterator[None]:
    """A transactional database whose append-only audit table can be emptied after the test.

    The flush that ends a transactional test deletes every row, which the triggers refuse, so
    they are dropped just before it. Tests that rely on the triggers request ``audit_triggers``.
    """
    yield
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in _audit_trigger_sql("drop"):
            cursor.execute(sql)
