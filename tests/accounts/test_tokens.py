import subprocess
import sys

from django.urls import reverse

from openitsms.accounts.models import ApiToken, hash_token


def test_token_created_in_the_pages_is_shown_once_and_stored_hashed(owner_client, owner, api):
    response = owner_client.post(
        reverse("accounts:token_list"), {"name": "nightly export"}, follow=True
    )
    page = response.content.decode()
    token = ApiToken.objects.get(user=owner)
    start = page.index('<code class="token">') + len('<code class="token">')
    clear = page[start : page.index("</code>", start)]
    assert clear.startswith("itsms_") and token.token_hash == hash_token(clear)
    assert clear not in owner_client.get(reverse("accounts:token_list")).content.decode()
    assert ApiToken.objects.filter(user=owner).count() == 1
    assert api("get", "/api/v1/me", clear).json()["username"] == "alice"


def test_revoked_token_gets_401(owner, owner_client, token_for, api):
    clear = token_for(owner)
    assert api("get", "/api/v1/me", clear).status_code == 200
    token = ApiToken.objects.get(user=owner)
    owner_client.post(reverse("accounts:token_revoke", kwargs={"pk": token.pk}))
    response = api("get", "/api/v1/me", clear)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_forged_token_gets_401(owner, api):
    assert api("get", "/api/v1/me", "itsms_forged-token-value").status_code == 401
    assert api("get", "/api/v1/me").status_code == 401


def test_token_can_be_revoked_through_the_api(owner, token_for, api):
    clear = token_for(owner)
    second = token_for(owner)
    token_id = ApiToken.objects.get(token_hash=hash_token(clear)).pk
    assert api("delete", f"/api/v1/tokens/{token_id}", second).status_code == 204
    assert api("get", "/api/v1/me", clear).status_code == 401
    assert api("get", "/api/v1/me", second).status_code == 200


def test_one_cannot_revoke_another_persons_token(owner, outsider, token_for, api):
    clear = token_for(owner)
    token_id = ApiToken.objects.get(token_hash=hash_token(clear)).pk
    assert api("delete", f"/api/v1/tokens/{token_id}", token_for(outsider)).status_code == 404
    assert api("get", "/api/v1/me", clear).status_code == 200


def test_cli_token_create_prints_a_working_token(owner, api):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("token_create", "alice", stdout=out)
    clear = out.getvalue().strip()
    assert api("get", "/api/v1/me", clear).json()["username"] == "alice"


def test_itsms_command_line_help_lists_the_commands():
    result = subprocess.run(
        [sys.executable, "-m", "openitsms.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for command in ["serve", "demo", "worker", "token", "audit", "manage"]:
        assert command in result.stdout


def test_a_token_cannot_create_tokens_but_a_browser_session_can(
    owner, owner_client, token_for, api
):
    token = token_for(owner)
    refused = api("post", "/api/v1/tokens", token, {"name": "successor"})
    assert refused.status_code == 403
    assert ApiToken.objects.filter(user=owner).count() == 1
    from django.middleware.csrf import get_token
    from django.test import RequestFactory

    owner_client.get("/")  # sets the CSRF cookie
    csrf = owner_client.cookies["csrftoken"].value if "csrftoken" in owner_client.cookies else ""
    if not csrf:
        csrf = get_token(RequestFactory().get("/"))
    created = owner_client.post(
        "/api/v1/tokens",
        data='{"name": "from the browser"}',
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert created.status_code == 201 and created.json()["token"].startswith("itsms_")
