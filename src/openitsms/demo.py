"""The demo organisations. Each app may add its own data through ``<app>.demo.populate``."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction

from openitsms.audit.context import Actor, acting_as
from openitsms.tenancy.choices import Role
from openitsms.tenancy.models import Membership, Organisation
from openitsms.tenancy.scoping import org_scope

DEFAULT_PASSWORD = "demo-pass-2026"

ORGANISATIONS = [
    ("northwind", "Northwind Managed Services", "Europe/London", "nw"),
    ("harbour", "Harbour Health IT", "America/New_York", "hb"),
]
ROLE_SUFFIX = {
    Role.OWNER: "owner",
    Role.MANAGER: "manager",
    Role.PROCESS_OWNER: "process",
    Role.AUDITOR: "auditor",
    Role.VIEWER: "viewer",
}
CONSULTANT = "consultant"


@dataclass
class DemoResult:
    logins: list[tuple[str, str]] = field(default_factory=list)  # (username, what they are)
    password: str = DEFAULT_PASSWORD


def _user(username: str, password: str, first: str, last: str, email: str) -> Any:
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last, "email": email}
    )
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def build_demo(password: str = DEFAULT_PASSWORD) -> DemoResult:
    """Create (or refresh) the demo organisations and people; safe to run again."""
    result = DemoResult(password=password)
    with acting_as(Actor(user_id=None, label="itsms demo")):
        consultant = _user(CONSULTANT, password, "Casey", "Consultant", "casey@example.com")
        for slug, name, tz, prefix in ORGANISATIONS:
            org, _ = Organisation.objects.get_or_create(
                slug=slug, defaults={"name": name, "time_zone": tz}
            )
            people: dict[str, Any] = {}
            for role, suffix in ROLE_SUFFIX.items():
                username = f"{prefix}-{suffix}"
                user = _user(
                    username, password, suffix.title(), name.split()[0], f"{username}@example.com"
                )
                Membership.objects.get_or_create(
                    user=user, organisation=org, defaults={"role": role}
                )
                people[role] = user
                result.logins.append((username, f"{Role(role).label} of {name}"))
            Membership.objects.get_or_create(
                user=consultant, organisation=org, defaults={"role": Role.MANAGER}
            )
            people["consultant"] = consultant
            with org_scope(org):
                for app in apps.get_app_configs():
                    if not app.name.startswith("openitsms."):
                        continue
                    try:
                        module = importlib.import_module(f"{app.name}.demo")
                    except ModuleNotFoundError as exc:
                        if exc.name != f"{app.name}.demo":
                            raise
                        continue
                    module.populate(org, people)
        result.logins.append((CONSULTANT, "Manager in both organisations (a consultant)"))
    return result
