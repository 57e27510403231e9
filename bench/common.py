"""Shared pieces of the benchmark harness: paths, the environment the app is given, PostgreSQL
URLs, and small process helpers. Standard library only (plus what the app itself installs)."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the project
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
BIN = Path(sys.executable).parent  # the venv's bin: qualitymark, gunicorn, rq

PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_BASE_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
BASE_URL = "https://bench.invalid"
# Long and random-looking so the app's production check (>= 32 characters) accepts it. It signs only
# the benchmark's own sessions, in throw-away databases.
SECRET_KEY = "bench-secret-key-not-for-production-0123456789abcdef"
PASSWORD = "Bench lantern orchard 2026 quietly"
# Officers and admins may be asked for a TOTP code at sign-in; the dataset gives them this secret.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
USER_AGENT = "qualitymark-bench/1"


def sqlalchemy_url(database: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{database}"


def psycopg_url(database: str) -> str:
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{database}"


def app_env(work: Path, database: str, *, production: bool, redis_url: str | None = None,
            extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment the app runs with: the README's production variables (or development for
    building the dataset), everything local state in the run's own work folder."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("QUALITYMARK_")}
    env.update({
        "QUALITYMARK_ENV": "production" if production else "development",
        "QUALITYMARK_SECRET_KEY": SECRET_KEY,
        "QUALITYMARK_BASE_URL": BASE_URL,
        "QUALITYMARK_DATABASE_URL": sqlalchemy_url(database),
        "QUALITYMARK_INSTANCE_DIR": str(work / "instance"),
        "QUALITYMARK_EVIDENCE_DIR": str(work / "instance" / "evidence"),
        "QUALITYMARK_SIGNING_KEY_PATH": str(work / "keys" / "signing-key.pem"),
        "QUALITYMARK_CRITERIA_DIR": str(ROOT / "criteria"),
        "QUALITYMARK_MAIL_BACKEND": "log",
        "PYTHONUNBUFFERED": "1",
    })
    if redis_url:
        env["QUALITYMARK_REDIS_URL"] = redis_url
    env.update(extra or {})
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path = ROOT, timeout: float = 600,
        check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    """Stop a process we started (and its own children: it leads its own process group)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(5)


def wrk_path() -> str | None:
    return shutil.which("wrk")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)
