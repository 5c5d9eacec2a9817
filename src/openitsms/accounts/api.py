from datetime import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from openitsms.accounts.models import ApiToken

router = Router(tags=["tokens"])


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100)


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The token itself. It is shown only in this response.")


@router.get("/tokens", response=list[TokenOut], summary="My API tokens")
def token_list(request: HttpRequest) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=request.auth))  # type: ignore[attr-defined]


@router.post("/tokens", response={201: TokenCreatedOut}, summary="Create a token (shown once)")
def token_create(request: HttpRequest, payload: TokenIn) -> Status:
    # A leaked token must not be able to mint successors that outlive its revocation.
    if getattr(request, "api_token", None) is not None:
        raise HttpError(
            403, "Tokens are created from the pages or `itsms token create`, not by a token."
        )
    token, clear = ApiToken.issue(user=request.auth, name=payload.name)  # type: ignore[attr-defined]
    return Status(201, {**TokenOut.from_orm(token).dict(), "token": clear})


@router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke a token")
def token_revoke(request: HttpRequest, token_id: int) -> Status:
    token = get_object_or_404(ApiToken.objects.active(), pk=token_id, user=request.auth)  # type: ignore[attr-defined]
    token.revoke()
    return Status(204, None)
