"""Content Security Policy: every asset is ours, so the policy can be strict."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)
# The interactive API docs page uses inline bootstrap code of its own.
RELAXED_PREFIXES = ("/api/v1/docs",)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response.headers:
            if request.path.startswith(RELAXED_PREFIXES):
                policy = POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
                policy = policy.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
            else:
                policy = POLICY
            response.headers["Content-Security-Policy"] = policy
        return response
