"""How fast the audit trail appends and verifies, on the configured database.

Run: ITSMS_DATA_DIR=$(mktemp -d) .venv/bin/python bench/audit_trail.py [N]
(set DATABASE_URL for PostgreSQL; the benchmark writes to that database's tables).
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openitsms.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from openitsms.audit.actions import PendingEvent, record, record_many  # noqa: E402
from openitsms.audit.chain import verify_chain  # noqa: E402


def main(n: int) -> None:
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    for i in range(n // 10):
        record(action="update", object_repr=f"single {i}", changes={"status": ["a", "b"]})
    single = (n // 10) / (time.perf_counter() - started)
    started = time.perf_counter()
    record_many(
        PendingEvent(action="create", object_repr=f"bulk {i}", changes={"priority": [None, "P3"]})
        for i in range(n)
    )
    bulk = n / (time.perf_counter() - started)
    started = time.perf_counter()
    checked, problems = verify_chain()
    verify = checked / (time.perf_counter() - started)
    print(f"| single record() | {single:,.0f} entries/s |")
    print(f"| record_many()   | {bulk:,.0f} entries/s |")
    summary = f"{checked:,} entries, {len(problems)} problems"
    print(f"| verify_chain()  | {verify:,.0f} entries/s ({summary}) |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
