"""Marks every request as 'no organisation bound' until an organisation view binds one."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import get_resolver

from openitsms.tenancy.scoping import UNBOUND, org_scope


class OrganisationScopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # Import every URLconf (and so every views and forms module) now, outside any request:
        # module-level querysets must never be built inside one request's organisation scope.
        get_resolver().url_patterns  # noqa: B018

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with org_scope(UNBOUND):
            return self.get_response(request)
