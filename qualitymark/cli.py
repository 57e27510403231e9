"""The `qualitymark` command: Flask's CLI with the app built for you, plus our commands."""
from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from qualitymark import db


def _create_app():
    from qualitymark import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False,
             help="Care Quality Mark: run, migrate and administer the service.")
def main():
    """Entry point of the `qualitymark` console script."""


def migrations_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str | None = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", (database_url or current_app.config["DATABASE_URL"]).replace("%", "%%"))
    return config


def upgrade_database(database_url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


# --- database -------------------------------------------------------------------------------

@click.group("db", cls=AppGroup, help="Database schema (Alembic migrations).")
def db_group():
    pass


@db_group.command("upgrade", help="Bring the database schema up to date.")
@click.argument("revision", default="head")
def db_upgrade(revision):
    url = current_app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    upgrade_database(url, revision)
    click.echo(f"Database is at revision {revision}.")


@db_group.command("revision", help="Write a new migration from the models (developers).")
@click.option("-m", "--message", required=True)
def db_revision(message):
    from alembic import command

    command.revision(alembic_config(), message=message, autogenerate=True)


# --- users ----------------------------------------------------------------------------------

@click.group("users", cls=AppGroup, help="Accounts and staff roles.")
def users_group():
    pass


@users_group.command("create", help="Create a confirmed staff account (assessor, officer or admin).")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(["assessor", "officer", "admin"]),
              help="Repeat for several roles.")
@click.option("--password", default=None,
              help="Leave out to have a strong one generated and printed once.")
def users_create(email, name, roles, password):
    from qualitymark.services.accounts import AccountError, create_staff_user

    generated = password is None
    password = password or secrets.token_urlsafe(15)
    try:
        user = create_staff_user(email, name, password, list(roles))
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    db.commit()
    click.echo(f"Created {user.email} with role(s) {', '.join(roles)}.")
    if generated:
        click.echo(f"Password (shown once): {password}")


# --- jobs -----------------------------------------------------------------------------------

@click.group("jobs", cls=AppGroup, help="The job outbox.")
def jobs_group():
    pass


@jobs_group.command("requeue", help="Send again every job still pending (after Redis was down or a worker died).")
@click.option("--older-than", default=60, show_default=True, help="Only jobs pending for at least this many seconds.")
def jobs_requeue(older_than):
    from qualitymark.jobs.periodic import requeue_pending_jobs

    count = requeue_pending_jobs.__wrapped__(older_than_seconds=older_than)
    click.echo(f"Sent {count} pending job(s) again.")


@jobs_group.command("worker", help="Run jobs from the queue (production): like `rq worker`, but the app is built "
                                    "once, before rq forks a process for each job.")
@click.option("--with-scheduler", is_flag=True, help="Also move retried jobs back to the queue when they are due.")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--name", default=None, help="The worker's name in rq (default: rq's own).")
@click.argument("queues", nargs=-1)
def jobs_worker(with_scheduler, burst, name, queues):
    from flask import current_app
    from rq import Worker

    from qualitymark.jobs import runner

    app = current_app._get_current_object()
    connection = app.extensions.get("qualitymark.redis")
    if connection is None:
        raise click.ClickException("Set QUALITYMARK_REDIS_URL: without Redis, jobs run in-process and need no worker.")
    runner.use_app(app)  # each forked job process inherits it instead of building its own (about a second)
    runner.warm_up()
    worker = Worker(list(queues) or [app.config["QUEUE_NAME"]], connection=connection, name=name)
    worker.work(with_scheduler=with_scheduler, burst=burst)


@jobs_group.command("periodic", help="Run every periodic job once (what `rq cron` does on a schedule).")
def jobs_periodic():
    from qualitymark.jobs.periodic import run_all

    for name, result in run_all().items():
        click.echo(f"{name}: {result}")


@click.group("cron", cls=AppGroup, help="The periodic jobs (reminders, expiry, status lists).")
def cron_group():
    pass


@cron_group.command("run-once", help="Run every periodic job once, now. Safe to run twice: nothing is sent twice.")
def cron_run_once():
    from qualitymark.jobs.periodic import run_all

    for name, result in run_all().items():
        click.echo(f"{name}: {result}")


@jobs_group.command("list", help="Show jobs that failed or are still pending.")
def jobs_list():
    from sqlmodel import select

    from qualitymark.models.jobs import JobRecord

    rows = db.session().exec(
        select(JobRecord).where(JobRecord.status != "done").order_by(JobRecord.id)
    ).all()
    for row in rows:
        last = (row.last_error or "").strip().splitlines()[-1:] or [""]
        click.echo(f"{row.id}\t{row.status}\t{row.task}\tattempts={row.attempts}\t{last[0]}")
    click.echo(f"{len(rows)} job(s) not done.")


# --- rubrics --------------------------------------------------------------------------------

@click.group("rubrics", cls=AppGroup, help="Versioned YAML rubrics: validate, publish, diff, retire.")
def rubrics_group():
    pass


def _default_criteria() -> list[Path]:
    from qualitymark.config import load_settings

    return [load_settings().criteria_dir]


@rubrics_group.command("validate", with_appcontext=False,
                       help="Check rubric files (default: the criteria/ folder). Exit 0 when all are valid, 1 otherwise.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def rubrics_validate(paths):
    from qualitymark.rubrics import validate_paths

    results = validate_paths(paths or _default_criteria())
    failed = 0
    for result in results:
        for line in result.report():
            click.echo(line, err=not result.ok)
        failed += not result.ok
    total = len(results)
    click.echo(f"{total - failed} of {total} rubric file(s) valid.", err=bool(failed))
    sys.exit(1 if failed else 0)


@rubrics_group.command("publish", help="Publish every valid version in criteria/ (unchanged ones are skipped).")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def rubrics_publish(paths):
    from qualitymark.services.rubrics import publish_paths

    report = publish_paths(paths or [current_app.config["SETTINGS"].criteria_dir])
    if not report.ok:
        for line in report.errors:
            click.echo(line, err=True)
        click.echo("Nothing was published.", err=True)
        sys.exit(1)
    db.commit()
    for label in report.published:
        click.echo(f"Published {label}.")
    for label in report.unchanged:
        click.echo(f"{label} is already published and unchanged.")


@rubrics_group.command("diff", help="What changed between two published versions of a scheme.")
@click.argument("scheme")
@click.argument("old")
@click.argument("new")
def rubrics_diff(scheme, old, new):
    from qualitymark.services.rubrics import RubricError, diff_versions

    try:
        difference = diff_versions(scheme, old, new)
    except RubricError as error:
        raise click.ClickException(str(error)) from None
    click.echo(str(difference))


@rubrics_group.command("retire", help="Stop new applications on a version; existing ones are not touched.")
@click.argument("scheme")
@click.argument("version")
def rubrics_retire(scheme, version):
    from qualitymark.services.rubrics import RubricError, retire_version

    try:
        retire_version(scheme, version)
    except RubricError as error:
        raise click.ClickException(str(error)) from None
    db.commit()
    click.echo(f"Retired {scheme} {version}: no new applications can start on it.")


# --- keys -----------------------------------------------------------------------------------

@click.group("keys", cls=AppGroup, help="The issuer's signing keys.")
def keys_group():
    pass


@keys_group.command("rotate", help="Create a new signing key and retire the current one (it stays in the DID document).")
def keys_rotate():
    from qualitymark.services.certificates import rotate_key

    row = rotate_key()
    db.commit()
    click.echo(f"New signing key {row.key_id} ({row.public_key_multibase}) at {row.private_key_file}.")
    click.echo("Certificates signed before now keep verifying with the retired key.")


@keys_group.command("list", help="List signing keys, current and retired.")
def keys_list():
    from qualitymark.services.certificates import keys

    for row in keys():
        state = f"retired {row.retired_at:%Y-%m-%d %H:%M}" if row.retired_at else "current"
        click.echo(f"{row.key_id}\t{state}\t{row.public_key_multibase}")


# --- audit ----------------------------------------------------------------------------------

@click.group("audit", cls=AppGroup, help="The tamper-evident audit trail.")
def audit_group():
    pass


@audit_group.command("verify", help="Walk the hash chain; exit 1 and name the first broken link if any.")
def audit_verify():
    from qualitymark.services.audit import verify_chain

    result = verify_chain()
    if result.ok:
        click.echo(f"The audit trail is intact: {result.checked} event(s), every link holds.")
        return
    click.echo(f"The audit trail is broken at event {result.broken_at}: {result.reason}. "
               f"{result.checked} event(s) before it are intact.", err=True)
    sys.exit(1)


@audit_group.command("export", help="Write the whole trail as CSV (for an auditor).")
@click.argument("output", type=click.File("w", encoding="utf-8"), default="-")
def audit_export(output):
    from qualitymark.services.audit import export_csv

    output.write(export_csv())


# --- demo -----------------------------------------------------------------------------------

@click.command("demo", help="Create demo accounts and data (development only). Safe to run again.")
@with_appcontext
def demo():
    from qualitymark.demo import create_demo_data

    if current_app.config["SETTINGS"].production:
        raise click.ClickException("Demo data is never created in production mode.")
    lines = create_demo_data()
    # Commit first: in-process jobs (mail to the log) run now, so the summary below stays together.
    db.commit()
    click.echo("")
    for line in lines:
        click.echo(line)
    click.echo("Emails (confirmation and reset links) are written to this terminal's log.")


@click.command("config-table", help="Print the configuration variables as a Markdown table (for the README).")
def config_table():
    from qualitymark.config import VARIABLES

    click.echo("| variable | default | what it is |")
    click.echo("|---|---|---|")
    for name, (default, text) in VARIABLES.items():
        click.echo(f"| `{name}` | {default} | {text} |")


def _add_verify() -> None:
    # On the top-level group, not app.cli: checking a credential needs no configured service.
    from qualitymark.verify_cli import verify

    main.add_command(verify)


_add_verify()


def register_commands(app) -> None:
    for group in (db_group, users_group, jobs_group, cron_group, rubrics_group, keys_group, audit_group):
        app.cli.add_command(group)
    for command in (demo, config_table):
        if command.name not in app.cli.commands:
            app.cli.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
