"""The audit trail's hash is no longer a unique index, and its organisation has no index of
its own (audit_org_seq_idx serves it).

SQLite drops a unique column constraint by rebuilding the table, which also drops the
table's triggers: the append-only triggers of 0002 are made again after it (and before the
rebuild when going back, since going back rebuilds the table too).
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

_append_only = importlib.import_module("openitsms.audit.migrations.0002_append_only_triggers")


def _sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in _append_only.SQLITE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_login_failure_index_only_for_failed_logins"),
        ("tenancy", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, _sqlite_triggers),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(max_length=64),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="organisation",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="tenancy.organisation",
            ),
        ),
        migrations.RunPython(_sqlite_triggers, migrations.RunPython.noop),
    ]
