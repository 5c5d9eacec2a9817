"""Who is acting right now, for the audit trail: set per request, command or task."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str
    remote_addr: str = ""


SYSTEM = Actor(user_id=None, label="system")
_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar("openitsms_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _actor.get()


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def actor_for_user(user: object, *, remote_addr: str = "", via: str = "") -> Actor:
    pk = getattr(user, "pk", None)
    name = getattr(user, "username", "") or "anonymous"
    label = f"{name} ({via})" if via else name
    return Actor(user_id=pk, label=label, remote_addr=remote_addr)
