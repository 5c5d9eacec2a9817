"""The REST API under /api/v1/: authentication, the organisation wall, one error format."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from openitsms.accounts.models import ApiToken
from openitsms.audit.context import _actor, actor_for_user
from openitsms.audit.middleware import client_ip
from openitsms.tenancy.access import membership_for
from openitsms.tenancy.scoping import bind_org_for_request

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class ApiAuth(HttpBearer):
    """``Authorization: Bearer <token>``, or the browser session (with CSRF on writes).

    When the route names an organisation (``{org}``), membership is checked here, before the
    body is validated, so that another organisation's routes answer 404 whatever is sent.
    """

    def __call__(self, request: HttpRequest) -> Any:
        if request.headers.get("Authorization"):
            user = super().__call__(request)
            if user is None:
                raise AuthenticationError()
            via = "API token"
        elif request.user.is_authenticated:
            if request.method in UNSAFE and check_csrf(request) is not None:
                raise HttpError(403, "CSRF check failed: send the X-CSRFToken header.")
            user = request.user
            via = "API"
        else:
            return None
        _actor.set(actor_for_user(user, remote_addr=client_ip(request), via=via))
        org_slug = (request.resolver_match.kwargs if request.resolver_match else {}).get("org")
        if org_slug is not None:
            membership = membership_for(user, org_slug)
            if membership is None:
                raise Http404("No such organisation.")
            request.org = membership.organisation  # type: ignore[attr-defined]
            request.membership = membership  # type: ignore[attr-defined]
            bind_org_for_request(membership.organisation)
        return user

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = ApiToken.authenticate(token)
        if api_token is None:
            return None
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.user


api = NinjaAPI(
    title="OpenITSMS API",
    version="1",
    description=(
        "The registers of an ISO/IEC 20000-1 service management system. Authenticate with "
        "`Authorization: Bearer <token>` (create tokens under Account → API tokens or with "
        "`itsms token create USERNAME`). Errors always have the shape "
        '`{"detail": "...", "code": "...", "errors": [...]}`.'
    ),
    auth=ApiAuth(),
    urls_namespace="api",
    docs_url="/docs",
)


def _error(status: int, code: str, detail: str, errors: list[Any] | None = None) -> HttpResponse:
    return api.create_response(
        None,  # type: ignore[arg-type]
        {"detail": detail, "code": code, "errors": errors or []},
        status=status,
    )


@api.exception_handler(NinjaValidationError)
def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {
            "field": ".".join(str(p) for p in e.get("loc", [])[1:]) or None,
            "message": e.get("msg", ""),
        }
        for e in exc.errors
    ]
    return _error(422, "invalid", "The request has invalid values.", errors)


@api.exception_handler(DjangoValidationError)
def _domain_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [
            {"field": None if f == "__all__" else f, "message": m}
            for f, msgs in exc.message_dict.items()
            for m in msgs
        ]
    else:
        errors = [{"field": None, "message": m} for m in exc.messages]
    return _error(422, "invalid", " ".join(str(e["message"]) for e in errors), errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(401, "unauthenticated", "Authentication required: send a valid Bearer token.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(404, "not_found", str(exc) or "Not found.")


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(403, "forbidden", str(exc) or "Your role does not allow this.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found"}
    return _error(exc.status_code, codes.get(exc.status_code, "error"), str(exc))


def _register_routers() -> None:
    from openitsms.accounts.api import router as accounts_router
    from openitsms.audit.api import router as audit_router
    from openitsms.audits.api import router as audits_router
    from openitsms.catalogue.api import router as catalogue_router
    from openitsms.evidence.api import router as evidence_router
    from openitsms.improvement.api import router as improvement_router
    from openitsms.jobs.api import router as jobs_router
    from openitsms.operations.api import router as operations_router
    from openitsms.processes.api import router as processes_router
    from openitsms.services.api import router as services_router
    from openitsms.tenancy.api import router as tenancy_router

    api.add_router("/", tenancy_router)
    api.add_router("/", accounts_router)
    api.add_router("/", audit_router)
    api.add_router("/", jobs_router)
    api.add_router("/", catalogue_router)
    api.add_router("/", processes_router)
    api.add_router("/", evidence_router)
    api.add_router("/", services_router)
    api.add_router("/", improvement_router)
    api.add_router("/", audits_router)
    api.add_router("/", operations_router)


_register_routers()
