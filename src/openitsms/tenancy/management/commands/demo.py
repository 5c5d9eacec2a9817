from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from openitsms.demo import DEFAULT_PASSWORD, build_demo


class Command(BaseCommand):
    help = "Create the two demo organisations with one user per role and a consultant in both."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help="Password for every demo user."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = build_demo(options["password"])
        self.stdout.write(
            f"Demo organisations ready. Log in with any of these (password: {result.password}):"
        )
        for username, what in result.logins:
            self.stdout.write(f"  {username:<14} {what}")
