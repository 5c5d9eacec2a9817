from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from openitsms.audit.chain import verify_chain
from openitsms.lib.progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Verify the whole audit chain; exits non-zero naming each altered, inserted or "
        "removed entry."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        progress = None if options["quiet"] else ProgressBar("Verifying")
        checked, problems = verify_chain(progress)
        if problems:
            for problem in problems:
                self.stderr.write(f"BROKEN {problem}")
            raise CommandError(
                f"The audit trail is NOT intact: {len(problems)} problem(s) in {checked} entries."
            )
        self.stdout.write(f"The audit trail is intact: {checked} entries verified.")
