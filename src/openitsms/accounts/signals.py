"""Logins, logouts and failed logins go to the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from openitsms.accounts.throttle import username_key
from openitsms.audit.actions import record
from openitsms.audit.choices import AuditAction
from openitsms.audit.context import Actor, actor_for_user
from openitsms.audit.middleware import client_ip


def _on_login(sender: Any, request: Any, user: Any, **kw: Any) -> None:
    ip = client_ip(request) if request is not None else ""
    record(action=AuditAction.LOGIN, obj=user, actor=actor_for_user(user, remote_addr=ip))


def _on_logout(sender: Any, request: Any, user: Any, **kw: Any) -> None:
    if user is None:
        return
    ip = client_ip(request) if request is not None else ""
    record(action=AuditAction.LOGOUT, obj=user, actor=actor_for_user(user, remote_addr=ip))


def _on_failure(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    username = str(credentials.get("username", ""))
    ip = client_ip(request) if request is not None else ""
    record(
        action=AuditAction.LOGIN_FAILED,
        object_repr=username_key(username),
        actor=Actor(user_id=None, label=username[:150] or "anonymous", remote_addr=ip),
    )


def connect() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="openitsms_login")
    user_logged_out.connect(_on_logout, dispatch_uid="openitsms_logout")
    user_login_failed.connect(_on_failure, dispatch_uid="openitsms_login_failed")
