"""The `qualitymark` command as an administrator uses it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlmodel import select

from qualitymark.models.accounts import User


def test_users_create_makes_a_confirmed_staff_account_and_prints_its_password(runner, db_session):
    result = runner.invoke(args=["users", "create", "--email", "Officer@Example.coop", "--name", "Olwen",
                                 "--role", "officer", "--role", "admin"])
    assert result.exit_code == 0, result.output
    assert "Password (shown once):" in result.output
    user = db_session.exec(select(User).where(User.email == "officer@example.coop")).one()
    assert user.role_names == {"officer", "admin"} and user.email_confirmed_at is not None


def test_users_create_refuses_a_duplicate_with_a_clear_message(runner, user):
    result = runner.invoke(args=["users", "create", "--email", user.email, "--name", "x", "--role", "admin"])
    assert result.exit_code != 0
    assert f"There is already an account for {user.email}" in result.output


def test_users_create_refuses_an_unknown_role(runner):
    result = runner.invoke(args=["users", "create", "--email", "a@b.coop", "--name", "x", "--role", "king"])
    assert result.exit_code != 0 and "king" in result.output


def test_demo_data_has_one_account_per_role_and_running_it_twice_keeps_it(runner, db_session, auth):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    for email in ("applicant@demo.coop", "assessor@demo.coop", "officer@demo.coop", "admin@demo.coop"):
        assert email in first.output
    count = len(db_session.exec(select(User)).all())
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert len(db_session.exec(select(User)).all()) == count
    from qualitymark.demo import DEMO_PASSWORD

    assert auth.sign_in("officer@demo.coop", DEMO_PASSWORD).status_code == 302


def test_demo_data_is_refused_in_production(make_app):
    app = make_app(QUALITYMARK_ENV="production", QUALITYMARK_BASE_URL="https://mark.example.coop")
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0 and "never created in production" in result.output


def test_the_console_script_works_without_an_app_option(tmp_path):
    executable = Path(sys.executable).with_name("qualitymark")
    result = subprocess.run([str(executable), "--help"], capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "QUALITYMARK_INSTANCE_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    for command in ("db", "users", "jobs", "demo", "run"):
        assert f"  {command} " in result.stdout
