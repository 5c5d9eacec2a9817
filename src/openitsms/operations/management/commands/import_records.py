"""``itsms import FILE --org SLUG --source ... --kind ...``: import an ITSM export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from openitsms.lib.progress import ProgressBar
from openitsms.operations.actions import run_import
from openitsms.operations.choices import IMPORT_SOURCES, RecordKind
from openitsms.operations.models import ColumnMapping
from openitsms.tenancy.models import Organisation
from openitsms.tenancy.scoping import org_scope


class Command(BaseCommand):
    help = (
        "Import incidents, requests, problems or changes from an ITSM export (CSV or XLSX). "
        "All or nothing: any rejected row stores nothing and lists every rejection."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--org", required=True, metavar="SLUG")
        parser.add_argument(
            "--source", required=True, choices=[value for value, _label in IMPORT_SOURCES]
        )
        parser.add_argument("--kind", required=True, choices=RecordKind.values)
        parser.add_argument("--mapping", metavar="NAME", help="A saved column mapping.")
        parser.add_argument("--dry-run", action="store_true", help="Compare; store nothing.")
        parser.add_argument("--tz", default=None, help="Time zone of the file's times.")
        parser.add_argument("--date-order", choices=["day_first", "month_first"], default=None)
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        organisation = Organisation.objects.filter(slug=options["org"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with the slug {options['org']!r}.")
        with org_scope(organisation):
            mapping = None
            if options["mapping"]:
                mapping = ColumnMapping.objects.filter(name=options["mapping"]).first()
                if mapping is None:
                    raise CommandError(f"No saved column mapping called {options['mapping']!r}.")
            progress = None if options["quiet"] else ProgressBar(f"Importing {path.name}")
            run = run_import(
                organisation=organisation,
                user=None,
                file=path,
                source=options["source"],
                kind=options["kind"],
                mapping=mapping,
                dry_run=options["dry_run"],
                tz=options["tz"] or getattr(organisation, "time_zone", "") or "UTC",
                date_order=options["date_order"],
                progress=progress,
            )
            if run.status != "succeeded":
                for rejection in run.rejections.all()[:50]:
                    self.stderr.write(f"row {rejection.row_number}: {rejection.reason}")
                if run.rejected > 50:
                    self.stderr.write(f"... and {run.rejected - 50} more rejected row(s).")
                raise CommandError(f"Import run {run.pk} failed. {run.message}")
        rate = f" ({run.rows_per_second:,.0f} rows/s)" if run.rows_per_second else ""
        self.stdout.write(
            f"Import run {run.pk}: {run.message} {run.rows_read} rows in {run.duration_s:.1f}s"
            f"{rate}."
        )
