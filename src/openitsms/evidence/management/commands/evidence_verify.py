from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from openitsms.evidence.integrity import verify_files
from openitsms.evidence.models import EvidenceFile
from openitsms.lib.progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Re-hash every stored evidence file of every organisation; exits non-zero naming each "
        "file that is missing or altered."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", metavar="SLUG", help="Only this organisation's files.")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        files = EvidenceFile.all_orgs.all()
        if options["org"]:
            files = files.filter(organisation__slug=options["org"])
        progress = None if options["quiet"] else ProgressBar("Verifying files")
        checked, problems = verify_files(files, progress)
        if problems:
            for problem in problems:
                self.stderr.write(f"{problem.problem.upper()} {problem}")
            raise CommandError(
                f"Evidence files are NOT intact: {len(problems)} of {checked} file(s) "
                "missing or altered."
            )
        self.stdout.write(f"Evidence files are intact: {checked} file(s) verified.")
