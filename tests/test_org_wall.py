"""Organisations are walls: an outsider reaches nothing of another organisation.

This module walks EVERY URL pattern and EVERY API route, so new pages and endpoints are covered
as soon as they exist. A route with a parameter this walker does not know makes the test fail
with a message asking to teach it (so that no new kind of route slips past unchecked).
"""

from __future__ import annotations

import importlib
import itertools
import re
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from openitsms.api import api as ninja_api
from openitsms.tenancy.models import Invitation, Membership
from openitsms.tenancy.scoping import OrgScopedModel, org_scope

# Routes deliberately reachable without membership, each with its reason.
OPEN_BY_DESIGN = {
    # The emailed invitation link is a capability: whoever holds the token may join.
    "tenancy:invitation_accept",
    # Logging out would end the outsider's session half-way through the walk.
    "accounts:logout",
}
SKIP_NAMESPACES = {"admin", "api"}
MARKERS = ["Northwind", "alice@example.com", "secret-victim-note"]


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> list[tuple[str, str, Any]]:
    routes = []
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            routes += _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace else (p.name or "")
            routes.append((name, prefix + str(p.pattern), p))
    return routes


@pytest.fixture
def victim(org, owner, viewer, make_user, token_for):
    """Northwind with one record of every kind that exists, owned by alice."""
    from openitsms.jobs.models import Job
    from openitsms.tenancy import actions

    actions.invite_member(
        organisation=org, email="invitee@example.com", role="viewer", invited_by=owner
    )
    for _ in range(3):  # several of each, so that some ids differ from the outsider's own
        Job.all_orgs.create(
            organisation=org, kind="audit_verify", title="secret-victim-note", created_by=owner
        )
        token_for(owner)
    # Each app adds its own records through tests/<app>/wall.py: populate_victim(org, owner).
    for config in apps.get_app_configs():
        if not config.name.startswith("openitsms."):
            continue
        try:
            module = importlib.import_module(f"tests.{config.label}.wall")
        except ModuleNotFoundError as exc:
            if exc.name not in {f"tests.{config.label}", f"tests.{config.label}.wall"}:
                raise
            continue
        with org_scope(org):
            module.populate_victim(org, owner)
    org.name = "Northwind"
    org.save()
    return org


def _victim_ids(org, owner) -> dict[str, list[int]]:
    """Primary keys of every record of the victim, by model, found generically."""
    ids: dict[str, list[int]] = {}
    for model in apps.get_models():
        # The audit trail is reached by object type and id, never by its own primary key.
        if not model.__module__.startswith("openitsms.") or model._meta.app_label == "audit":
            continue
        fields = {f.name for f in model._meta.get_fields()}
        manager = getattr(model, "all_orgs", model._default_manager)
        if "organisation" in fields:
            rows = manager.filter(organisation=org)
        elif "user" in fields:
            rows = manager.filter(user=owner)
        else:
            continue
        pks = list(rows.values_list("pk", flat=True))
        if pks:
            ids[model._meta.label_lower] = pks
    return ids


def _probe_pks(victim_ids: dict[str, list[int]], own_ids: dict[str, list[int]]) -> list[int]:
    """Victim primary keys that are not also the outsider's own (which they may rightly reach)."""
    own = set(itertools.chain.from_iterable(own_ids.values()))
    for label, pks in victim_ids.items():
        assert set(pks) - own, f"every {label} of the victim collides with the outsider's ids"
    return sorted(set(itertools.chain.from_iterable(victim_ids.values())) - own)


def _fill(route: str, converters: dict[str, Any], org, all_pks, membership) -> list[str] | None:
    urls = [route]
    for name in converters:
        expanded = []
        for url in urls:
            if name == "org_slug":
                expanded.append(url.replace(f"<slug:{name}>", org.slug))
            elif name in {"pk", "object_id"}:
                expanded += [re.sub(rf"<\w+:{name}>", str(pk), url) for pk in all_pks]
            elif name in {"uidb64", "token"}:  # password-reset link parts: not records
                expanded.append(re.sub(rf"<\w+:{name}>", "x", url))
            elif name == "object_type":
                expanded.append(url.replace(f"<str:{name}>", "tenancy.membership"))
            else:
                return None
        urls = expanded
    return ["/" + u for u in urls]


def outsider_org(user):
    return Membership.objects.get(user=user).organisation


def _snapshot(org):
    return (
        sorted(Membership.objects.filter(organisation=org).values_list("pk", "role")),
        sorted(Invitation.objects.filter(organisation=org).values_list("pk", "revoked_at")),
        org.__class__.objects.get(pk=org.pk).name,
        sorted(apps.get_model("accounts", "ApiToken").objects.values_list("pk", "revoked_at")),
    )


def test_every_page_hides_another_organisations_data(
    victim, owner, outsider, outsider_client: Client
):
    ids = _victim_ids(victim, owner)
    assert {"tenancy.membership", "tenancy.invitation", "jobs.job", "accounts.apitoken"} <= set(ids)
    # Every organisation-scoped model must have victim records (tests/<app>/wall.py), so that
    # its routes are probed with real ids of another organisation.
    scoped = {m._meta.label_lower for m in apps.get_models() if issubclass(m, OrgScopedModel)}
    missing = scoped - set(ids)
    assert not missing, f"add victim records in tests/<app>/wall.py for {missing}"
    pks = _probe_pks(ids, _victim_ids(outsider_org(outsider), outsider))
    membership = Membership.objects.filter(organisation=victim).first()
    before = _snapshot(victim)
    checked = 0
    for name, route, pattern in _walk(get_resolver().url_patterns):
        if (
            name.split(":")[0] in SKIP_NAMESPACES
            or name in OPEN_BY_DESIGN
            or route.startswith("static")
        ):
            continue
        converters = pattern.pattern.converters
        urls = _fill(route, converters, victim, pks, membership)
        assert urls is not None, f"Teach test_org_wall about the parameters of {name} ({route})"
        for url in urls:
            for method in ("get", "post"):
                response = getattr(outsider_client, method)(url)
                checked += 1
                if "org_slug" in converters or "pk" in converters:
                    assert response.status_code in {404, 405}, (
                        f"{method.upper()} {url} gave {response.status_code}"
                    )
                else:
                    body = response.content.decode(errors="replace")
                    for marker in MARKERS:
                        assert marker not in body, f"{method.upper()} {url} shows {marker!r}"
    assert checked > 20
    assert _snapshot(victim) == before


def test_every_api_route_hides_another_organisations_data(
    victim, owner, outsider, token_for, client
):
    token = token_for(outsider)
    ids = _victim_ids(victim, owner)
    all_pks = _probe_pks(ids, _victim_ids(outsider_org(outsider), outsider))
    before = _snapshot(victim)
    schema = ninja_api.get_openapi_schema()
    checked = 0
    for path, operations in schema["paths"].items():
        params = re.findall(r"{(\w+)}", path)
        unknown = [p for p in params if p != "org" and not p.endswith("_id")]
        assert not unknown, f"Teach test_org_wall about {unknown} in {path}"
        urls = [path.replace("{org}", victim.slug)]
        for p in params:
            if p.endswith("_id"):
                urls = [u.replace("{" + p + "}", str(pk)) for u in urls for pk in all_pks]
        for url in urls:
            for method in operations:
                call = getattr(client, method)
                response = (
                    call(
                        url,
                        data="{}",
                        content_type="application/json",
                        HTTP_AUTHORIZATION=f"Bearer {token}",
                    )
                    if method != "get"
                    else call(url, HTTP_AUTHORIZATION=f"Bearer {token}")
                )
                checked += 1
                if "{org}" in path or params:
                    assert response.status_code == 404, (
                        f"{method.upper()} {url} gave {response.status_code}"
                    )
                    assert response.json()["code"] == "not_found"
                else:
                    body = response.content.decode()
                    for marker in MARKERS:
                        assert marker not in body, f"{method.upper()} {url} shows {marker!r}"
    assert checked > 10
    assert _snapshot(victim) == before


def test_session_api_calls_are_walled_too(victim, outsider_client):
    response = outsider_client.get(f"/api/v1/orgs/{victim.slug}/members")
    assert response.status_code == 404
