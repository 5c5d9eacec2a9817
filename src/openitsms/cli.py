"""The ``itsms`` command: serve, demo, worker, token, audit, and Django's commands via manage."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openitsms.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"itsms: configuration error: {exc}\n")
        raise SystemExit(2) from None


def _check_database() -> None:
    from django.db import connection
    from django.db.utils import OperationalError

    try:
        connection.ensure_connection()
    except OperationalError as exc:
        where = connection.settings_dict.get("HOST") or connection.settings_dict.get("NAME")
        sys.stderr.write(
            f"itsms: cannot reach the database ({connection.vendor} at {where}): "
            f"{str(exc).strip().splitlines()[0]}\nCheck DATABASE_URL and that the server runs.\n"
        )
        raise SystemExit(2) from None


def _call(*args: str) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command(*args)
    except CommandError as exc:
        sys.stderr.write(f"itsms: {exc}\n")
        raise SystemExit(1) from None


def cmd_serve(opts: argparse.Namespace) -> None:
    _check_database()
    _call("migrate", "--no-input", "-v", "0")
    from django.conf import settings
    from django.core.management import call_command

    if opts.demo:
        _call("demo", "--password", opts.password) if opts.password else _call("demo")
    print(f"OpenITSMS is running at http://{opts.host}:{opts.port}/  (data in {settings.DATA_DIR})")
    print("Stop it with Ctrl+C. For production use gunicorn; see docs/operations.md.", flush=True)
    call_command("runserver", f"{opts.host}:{opts.port}", use_reloader=False, skip_checks=False)


def cmd_demo(opts: argparse.Namespace) -> None:
    _check_database()
    _call("migrate", "--no-input", "-v", "0")
    _call("demo", "--password", opts.password) if opts.password else _call("demo")


def cmd_worker(opts: argparse.Namespace) -> None:
    _check_database()
    from django.core.management import call_command

    args = ["--interval", str(opts.interval)]
    if opts.batch:
        args.append("--batch")
    call_command("db_worker", *args)


def cmd_token(opts: argparse.Namespace) -> None:
    _check_database()
    _call("token_create", opts.username, "--name", opts.name)


def cmd_audit(opts: argparse.Namespace) -> None:
    _check_database()
    _call("audit_verify", *(["--quiet"] if opts.quiet else []))


def cmd_evidence(opts: argparse.Namespace) -> None:
    _check_database()
    args = ["evidence_verify"]
    if opts.quiet:
        args.append("--quiet")
    if opts.org:
        args += ["--org", opts.org]
    _call(*args)


def cmd_catalogue(opts: argparse.Namespace) -> None:
    _check_database()
    _call("catalogue_load")


def cmd_import(opts: argparse.Namespace) -> None:
    _check_database()
    args = [
        "import_records",
        opts.file,
        "--org",
        opts.org,
        "--source",
        opts.source,
        "--kind",
        opts.kind,
    ]
    if opts.mapping:
        args += ["--mapping", opts.mapping]
    if opts.dry_run:
        args.append("--dry-run")
    if opts.tz:
        args += ["--tz", opts.tz]
    if opts.date_order:
        args += ["--date-order", opts.date_order]
    _call(*args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="itsms", description="OpenITSMS — keep an ISO/IEC 20000-1 SMS audit-ready."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("serve", help="apply migrations, then serve the web app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--demo", action="store_true", help="create or refresh the demo organisations first"
    )
    p.add_argument("--password", help="password for the demo users (with --demo)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="create the demo organisations and users")
    p.add_argument("--password", help="password for every demo user")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("worker", help="run a background worker")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
    p.add_argument("--batch", action="store_true", help="exit when the queue is empty")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("token", help="API tokens")
    tsub = p.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    t = tsub.add_parser("create", help="create a token for USERNAME and print it")
    t.add_argument("username")
    t.add_argument("--name", default="created from the command line")
    t.set_defaults(func=cmd_token)

    p = sub.add_parser("audit", help="the audit trail")
    asub = p.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    a = asub.add_parser("verify", help="verify the hash chain; non-zero exit when broken")
    a.add_argument("--quiet", action="store_true")
    a.set_defaults(func=cmd_audit)

    p = sub.add_parser("evidence", help="the evidence store")
    esub = p.add_subparsers(dest="evidence_command", required=True, metavar="ACTION")
    e = esub.add_parser(
        "verify", help="re-hash every stored evidence file; non-zero exit when one is missing"
    )
    e.add_argument("--org", metavar="SLUG", help="only this organisation's files")
    e.add_argument("--quiet", action="store_true")
    e.set_defaults(func=cmd_evidence)

    p = sub.add_parser("catalogue", help="the standards catalogue")
    csub = p.add_subparsers(dest="catalogue_command", required=True, metavar="ACTION")
    c = csub.add_parser("load", help="load or refresh the catalogue and crosswalks")
    c.set_defaults(func=cmd_catalogue)

    p = sub.add_parser(
        "import", help="import incidents, requests, problems or changes from an ITSM export"
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument("--org", required=True, metavar="SLUG")
    p.add_argument("--source", required=True, choices=["servicenow", "jira", "glpi", "itop", "csv"])
    p.add_argument("--kind", required=True, choices=["incident", "request", "problem", "change"])
    p.add_argument("--mapping", metavar="NAME", help="a saved column mapping (for --source csv)")
    p.add_argument("--dry-run", action="store_true", help="show what would change; store nothing")
    p.add_argument("--tz", metavar="ZONE", help="time zone of the file's times (IANA name)")
    p.add_argument("--date-order", choices=["day_first", "month_first"])
    p.set_defaults(func=cmd_import)

    sub.add_parser("manage", help="run a Django management command: itsms manage COMMAND ...")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "manage":
        _setup()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["itsms manage", *args[1:]])
        return
    opts = build_parser().parse_args(args)
    _setup()
    opts.func(opts)


if __name__ == "__main__":
    main()
