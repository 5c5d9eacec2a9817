"""The catalogue's pages and API routes answer 404 to an outsider, whatever id is tried.

tests/test_org_wall.py walks every route generically; this checks the catalogue's own routes
with the records that ``tests/catalogue/wall.py`` gives the victim.
"""

import json

from django.urls import reverse

from openitsms.api import api as ninja_api
from openitsms.catalogue import urls as catalogue_urls
from openitsms.catalogue.models import Conformity
from openitsms.tenancy.scoping import org_scope
from tests.catalogue.wall import populate_victim


def _victim(org, owner):
    with org_scope(org):
        populate_victim(org, owner)
    return Conformity.all_orgs.get(organisation=org)


def test_populate_victim_creates_a_conformity_with_the_marker(org, owner):
    row = _victim(org, owner)
    assert row.notes == "secret-victim-note" and row.organisation == org


def test_outsider_reaches_no_catalogue_page(org, owner, outsider_client):
    row = _victim(org, owner)
    before = Conformity.all_orgs.values_list("status", "notes", "operator_name").get()
    for pattern in catalogue_urls.urlpatterns:
        name = f"catalogue:{pattern.name}"
        kwargs = {"org_slug": org.slug}
        if "pk" in pattern.pattern.converters:
            kwargs["pk"] = row.requirement_id
        url = reverse(name, kwargs=kwargs)
        for method in ("get", "post"):
            response = getattr(outsider_client, method)(
                url, {"requirements": [row.requirement_id], "status": "conformant"}
            )
            assert response.status_code in (404, 405), f"{method} {url}"
            assert b"secret-victim-note" not in response.content
    assert Conformity.all_orgs.values_list("status", "notes", "operator_name").get() == before


def test_outsider_reaches_no_catalogue_api_route(org, owner, outsider, token_for, client):
    row = _victim(org, owner)
    token = token_for(outsider)
    paths = [
        p
        for p in ninja_api.get_openapi_schema()["paths"]
        if "/requirements" in p or "/conformity" in p
    ]
    assert len(paths) == 6
    for path in paths:
        url = path.replace("{org}", org.slug).replace("{requirement_id}", str(row.requirement_id))
        body = json.dumps({"status": "conformant", "requirement_ids": [row.requirement_id]})
        for method in ("get", "put", "post"):
            if method == "get":
                response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
            else:
                response = getattr(client, method)(
                    url,
                    data=body,
                    content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {token}",
                )
            assert response.status_code in (404, 405), f"{method} {url}"
            assert b"secret-victim-note" not in response.content
    assert Conformity.all_orgs.get().status == "partial"


def test_standards_list_shows_no_organisation_data(org, owner, outsider, token_for, api):
    _victim(org, owner)
    body = api("get", "/api/v1/standards", token_for(outsider)).content.decode()
    assert "secret-victim-note" not in body and "Northwind" not in body
