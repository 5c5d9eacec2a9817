"""Binds the request's user as the actor of every audit entry written during the request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from openitsms.audit.context import acting_as, actor_for_user


def client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        actor = actor_for_user(request.user, remote_addr=client_ip(request))
        with acting_as(actor):
            return self.get_response(request)
