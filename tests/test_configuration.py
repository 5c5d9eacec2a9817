"""Configuration from the environment: bad values stop start-up with a message naming them."""

import os
import subprocess
import sys

import pytest

STRONG_KEY = "k3y-" + "x9Q2mZ7rT4vB8nL1pW6sD3fH5jK0cV" * 2


def run_itsms(*args, env=None, timeout=60):
    skip = ("ITSMS_", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "openitsms.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ITSMS_DEBUG", "maybe"),
        ("ITSMS_TIME_ZONE", "Mars/Olympus"),
        ("ITSMS_EMAIL_PORT", "twenty-five"),
        ("ITSMS_SECRET_KEY", "short"),
        ("DATABASE_URL", "mysql://root@localhost/itsms"),
        ("DATABASE_URL", "postgres://"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(tmp_path, variable, value):
    result = run_itsms("manage", "check", env={"ITSMS_DATA_DIR": str(tmp_path), variable: value})
    assert result.returncode == 2
    assert variable in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_stops_serve_with_a_clear_message(tmp_path):
    result = run_itsms(
        "serve",
        "--port",
        "8999",
        env={"ITSMS_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none"},
    )
    assert result.returncode == 2
    assert "cannot reach the database" in result.stderr
    assert "DATABASE_URL" in result.stderr


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    result = run_itsms(
        "manage",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "ITSMS_DATA_DIR": str(tmp_path),
            "ITSMS_DEBUG": "false",
            "ITSMS_HTTPS": "true",
            "ITSMS_SECRET_KEY": STRONG_KEY,
            "ITSMS_ALLOWED_HOSTS": "itsms.example.com",
        },
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_secret_key_is_generated_once_into_the_data_folder(tmp_path):
    run_itsms("manage", "check", env={"ITSMS_DATA_DIR": str(tmp_path)})
    key_file = tmp_path / "secret_key"
    first = key_file.read_text()
    assert len(first) >= 50 and oct(key_file.stat().st_mode)[-3:] == "600"
    run_itsms("manage", "check", env={"ITSMS_DATA_DIR": str(tmp_path)})
    assert key_file.read_text() == first


def test_every_page_carries_a_strict_content_security_policy(client, db):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    body = response.content.decode()
    assert "http://" not in body.replace("http://testserver", "") and "https://" not in body


@pytest.mark.parametrize(
    ("variable", "value"),
    [("ITSMS_LOG_LEVEL", "LOUD"), ("ITSMS_TASK_BACKEND", "celery.Backend")],
)
def test_bad_logging_and_task_settings_name_the_variable(tmp_path, variable, value):
    result = run_itsms("manage", "check", env={"ITSMS_DATA_DIR": str(tmp_path), variable: value})
    assert result.returncode == 2 and variable in result.stderr
