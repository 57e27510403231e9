"""The Care Quality Mark benchmarks: build the datasets, serve them the README's production way, drive
them with wrk, count queries, issue certificates through rq, upload 25 MB, and print one table.

    python -m bench.run            # both sizes (about 12 minutes)
    python -m bench.run --quick    # small dataset only, short runs (about 3 minutes)

Targets are ratios measured in one run (against the trivial route, or the small dataset), so a
slow or busy machine moves both sides. Benchmarks print figures; they are never timed unit tests.
See bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (BENCH, BIN, PG_ADMIN_URL, REDIS_BASE_URL, RESULTS, ROOT, USER_AGENT, app_env, free_port,
                          log, run, stop, wrk_path)

THROUGHPUT_TARGET = 0.8  # /c/<code> and /c/<code>.json: at least 0.8 x /healthz requests per second
P95_TARGET = 1.5  # register, office, reviews: p95 at the large size at most 1.5 x the small size
UPLOAD_TARGET_MB = 10.0  # peak memory growth of the worker that takes a 25 MB upload
UPLOAD_BYTES = 25 * 1024 * 1024
CERTIFICATE_CODES = 50  # distinct /c/<code> paths wrk cycles through, at each size
WRK_INSTALL = "wrk is not installed. Install it with:  apt-get install -y wrk   (Debian/Ubuntu), then run again."


# --- the table -------------------------------------------------------------------------------------

@dataclass
class Row:
    figure: str
    size: str
    value: str
    target: str = "—"
    result: str = "info"  # PASS, FAIL, info, n/a, ERROR


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    data: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, *args, **kwargs) -> Row:
        row = Row(*args, **kwargs)
        self.rows.append(row)
        return row


def table(rows: list[Row]) -> str:
    header = ["Figure", "Size", "Value", "Target", "Result"]
    cells = [[r.figure, r.size, r.value, r.target, r.result] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(header)]
    line = lambda values: "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, cells)])


# --- the machine and the versions -------------------------------------------------------------------

def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    return {"nproc": len(os.sched_getaffinity(0)), "cpu_model": cpu, "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "kernel": platform.release(), "loadavg_start": os.getloadavg()}


def versions() -> dict:
    import psycopg

    def out(cmd: list[str], env=None) -> str:
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=30, cwd=ROOT, env=env)
            return (result.stdout or result.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "unknown"

    with psycopg.connect(PG_ADMIN_URL) as connection:
        postgres = connection.execute("SHOW server_version").fetchone()[0]
    quiet_git = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # read-only: never refresh the index
    changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True,
                             cwd=ROOT, env=quiet_git).stdout.strip().splitlines()
    return {
        "python": platform.python_version(), "postgres": postgres,
        "gunicorn": out([str(BIN / "gunicorn"), "--version"]),
        "wrk": out([wrk_path() or "wrk", "-v"]).split(" [")[0].split(" Copyright")[0], "rq": out([str(BIN / "python"), "-c", "import rq; print(rq.VERSION)"]),
        "redis": out([str(BIN / "python"), "-c",
                      f"import redis; print(redis.Redis.from_url('{REDIS_BASE_URL}').info()['redis_version'])"]),
        "app_commit": out(["git", "rev-parse", "HEAD"], env=quiet_git),
        "app_worktree": f"{len(changed)} tracked file(s) changed since the commit" if changed else "clean",
    }


# --- Redis: a database of our own ----------------------------------------------------------------------

def pick_redis_db() -> str:
    from redis import Redis

    for number in range(15, 0, -1):
        if Redis.from_url(f"{REDIS_BASE_URL}/{number}").dbsize() == 0:
            return f"{REDIS_BASE_URL}/{number}"
    raise RuntimeError("no empty Redis database (1-15) to use for the benchmark")


def clean_redis(url: str, queues: list[str]) -> None:
    """Remove what this run left in its (until then empty) Redis database: rq queues, jobs and
    registries, and the rate limiter's counters."""
    from redis import Redis

    connection = Redis.from_url(url)
    patterns = ["rq:*", "LIMITS*", "*qualitymark*"] + [f"*{queue}*" for queue in queues]
    for pattern in patterns:
        keys = list(connection.scan_iter(match=pattern, count=1000))
        for start in range(0, len(keys), 500):
            connection.delete(*keys[start:start + 500])


# --- processes ---------------------------------------------------------------------------------------------

def bench_json(output: str) -> dict:
    for line in output.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON "):])
    raise RuntimeError("no BENCH_JSON line in:\n" + output[-3000:])


def python_module(module: str, *args: str, env=None, timeout: float = 900, log_to: Path | None = None) -> dict:
    result = subprocess.run([str(BIN / "python"), "-m", module, *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=timeout)
    if log_to:
        log_to.write_text(result.stdout + "\n--- stderr ---\n" + result.stderr)
    if result.returncode != 0:
        raise RuntimeError(f"python -m {module} failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return bench_json(result.stdout)


class Server:
    """gunicorn as the README's production section runs it: `gunicorn --workers N --bind ... wsgi:app`
    (here bench/wsgi.py, which is wsgi:app plus the X-Bench-Client pass-through)."""

    def __init__(self, env: dict[str, str], workers: int, logfile: Path):
        self.port = free_port()
        self.logfile = logfile
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}", "bench.wsgi:app"],
            cwd=ROOT, env=env, stdout=logfile.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 60) -> None:
        from bench.client import Browser, HTTPSender

        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.logfile.read_text()[-3000:]}")
            try:
                if Browser(HTTPSender("127.0.0.1", self.port, timeout=5)).get("/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f} s:\n{self.logfile.read_text()[-3000:]}")

    def workers(self) -> list[int]:
        children = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.process.pid:
                    children.append(int(entry.name))
        return sorted(children)

    def cpu_ticks(self) -> int:
        total = 0
        for pid in self.workers():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime
        return total

    def wait_idle(self, database: str, timeout: float = 30) -> float:
        """After wrk stops, gunicorn still serves the requests already queued on its socket; wait until its
        workers use no CPU and no query of theirs runs, so the next measurement starts on a quiet server."""
        import psycopg

        started = time.perf_counter()
        quiet, ticks = 0, self.cpu_ticks()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            while time.perf_counter() - started < timeout and quiet < 3:
                time.sleep(0.25)
                now = self.cpu_ticks()
                active = connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
                    "AND pid <> pg_backend_pid()", (database,)).fetchone()[0]
                quiet = quiet + 1 if now == ticks and active == 0 else 0
                ticks = now
        return time.perf_counter() - started

    def browser(self):
        from bench.client import Browser, HTTPSender

        return Browser(HTTPSender("127.0.0.1", self.port))

    def stop(self) -> None:
        stop(self.process)


# --- wrk ---------------------------------------------------------------------------------------------------

@dataclass
class Endpoint:
    name: str  # healthz, certificate, credential, register, office, reviews
    label: str
    paths: list[str]
    cookie: str | None = None
    spread: bool = False
    marker: str | None = None  # text the page must contain (signed-in pages: not the sign-in form)


def wrk(port: int, endpoint: Endpoint, paths_file: Path, *, threads: int, connections: int, seconds: float) -> dict:
    command = [wrk_path(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
               "-H", f"User-Agent: {USER_AGENT}"]
    if endpoint.cookie:
        command += ["-H", f"Cookie: {endpoint.cookie}"]
    command += ["-s", str(BENCH / "wrk" / "paths.lua"), f"http://127.0.0.1:{port}", "--", str(paths_file)]
    if endpoint.spread:
        command.append("spread")
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed: {result.stderr[-2000:]}")
    figures = bench_json(result.stdout)
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["errors"] = sum(figures[k] for k in figures if k.startswith("errors_"))
    return figures


def check_page(server: Server, endpoint: Endpoint) -> None:
    """One request as wrk will send it: must be 200 (a 302 to the sign-in page would count as a success in wrk)."""
    browser = server.browser()
    if endpoint.cookie:
        browser.extra_headers["Cookie"] = endpoint.cookie
    response = browser.get(endpoint.paths[0], follow=False)
    if response.status != 200 or (endpoint.marker and endpoint.marker not in response.text):
        raise RuntimeError(f"{endpoint.paths[0]} answered {response.status} "
                           f"({'marker missing' if response.status == 200 else response.header('Location')})")


# --- the run --------------------------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.sizes = ["small"] if args.quick else ["small", "large"]
        self.now = datetime.now(timezone.utc)
        self.run_id = f"{self.now:%Y-%m-%d}-{'quick' if self.quick else 'full'}-{self.now:%H%M}"
        self.work = Path(tempfile.mkdtemp(prefix="qm-bench-"))
        self.report = Report()
        self.manifests: dict[str, dict] = {}
        self.databases: list[str] = []
        self.redis_url = ""
        self.queue = f"bench-issue-{os.getpid()}"
        self.duration = args.duration or (3 if self.quick else 5)
        self.rounds = args.rounds or (1 if self.quick else 4)
        self.warmup = 1 if self.quick else 2

    # ----- helpers
    def env(self, size: str, **extra) -> dict[str, str]:
        return app_env(self.work / size, self.manifests[size]["database"], production=True, redis_url=self.redis_url,
                       extra=extra)

    def issue_plan(self) -> list[tuple[str, str, int]]:
        """(size, worker, N): the README's `qualitymark jobs worker` (the app built once, rq forks a
        process per job) at the largest size, and rq's SimpleWorker (no fork per job) at every size, as
        a diagnostic."""
        plan = [(self.sizes[-1], "qualitymark jobs worker` (README: app built once, a fork per job)",
                 self.args.issue_n_forking or (20 if self.quick else 200))]
        plan += [(size, "rq worker -w rq.worker.SimpleWorker` (diagnostic: no fork)", self.args.issue_n or (50 if self.quick else 200))
                 for size in self.sizes]
        return plan

    # ----- steps
    def preflight(self) -> None:
        if not wrk_path():
            print(WRK_INSTALL, file=sys.stderr)
            raise SystemExit(2)
        import psycopg

        try:
            psycopg.connect(PG_ADMIN_URL, connect_timeout=5).close()
        except psycopg.Error as error:
            print(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {error}", file=sys.stderr)
            raise SystemExit(2)
        try:
            self.redis_url = pick_redis_db()
        except Exception as error:  # noqa: BLE001 - any failure means no Redis for us
            print(f"Redis is not usable at {REDIS_BASE_URL}: {error}", file=sys.stderr)
            raise SystemExit(2)
        self.report.data["machine"] = machine()
        self.report.data["versions"] = versions()
        self.report.data["date"] = self.now.isoformat(timespec="seconds")
        self.report.data["run_id"] = self.run_id
        self.report.data["settings"] = {"quick": self.quick, "sizes": self.sizes, "wrk_seconds": self.duration,
                                        "rounds": self.rounds, "threads": self.args.threads,
                                        "connections": self.args.connections, "gunicorn_workers": 4,
                                        "redis": self.redis_url, "issuing": self.issue_plan()}
        log(f"run {self.run_id}: sizes {', '.join(self.sizes)}; work folder {self.work}; Redis {self.redis_url}")

    def micro(self) -> None:
        log("rubrics validate (5 runs) and Scorer (10,000 applications)")
        env = app_env(self.work / "micro", "unused", production=False)
        times = []
        for _ in range(5):
            started = time.perf_counter()
            result = run([str(BIN / "qualitymark"), "rubrics", "validate", "criteria/"], env=env, check=False)
            times.append(time.perf_counter() - started)
            if result.returncode != 0:
                self.report.problems.append(f"`qualitymark rubrics validate criteria/` exited {result.returncode}: "
                                            f"{(result.stdout + result.stderr)[-500:]}")
        median = statistics.median(times)
        self.report.data["rubrics_validate"] = {"seconds": [round(t, 3) for t in times], "median": round(median, 3)}
        self.report.add("`qualitymark rubrics validate criteria/` wall time (median of 5)", "—", f"{median:.2f} s")
        scoring = python_module("bench.micro", "10000", "3", env=env, log_to=self.work / "micro.log")
        self.report.data["scoring"] = scoring
        self.report.add("Scorer: 10,000 applications (median of 3)", "—",
                        f"{scoring['seconds']:.2f} s = {scoring['applications_per_second']:,} applications/s")

    def build(self) -> None:
        issue_n = {size: 0 for size in self.sizes}
        for size, _worker, n in self.issue_plan():
            issue_n[size] += n
        for size in self.sizes:
            database = f"qm_bench_{os.getpid()}_{size}"
            self.databases.append(database)
            (self.work / size).mkdir(parents=True, exist_ok=True)
            log(f"building the {size} dataset into {database}")
            started = time.perf_counter()
            result = subprocess.run(
                [str(BIN / "python"), "-m", "bench.dataset", size, "--database", database, "--work", str(self.work / size),
                 "--issue-n", str(issue_n[size])], cwd=ROOT, capture_output=True, text=True, timeout=1800)
            (self.work / f"build-{size}.log").write_text(result.stdout + result.stderr)
            if result.returncode != 0:
                raise RuntimeError(f"building {size} failed:\n{result.stderr[-4000:]}")
            manifest = json.loads((self.work / size / "manifest.json").read_text())
            self.manifests[size] = manifest
            self.report.data.setdefault("datasets", {})[size] = {
                k: manifest[k] for k in ("counts", "build_seconds", "notes", "assessor_assignments")}
            log(f"  {size}: {time.perf_counter() - started:.0f} s, "
                + ", ".join(f"{k} {v:,}" for k, v in manifest["counts"].items()))

    def queries(self) -> None:
        for size in self.sizes:
            log(f"counting SQL queries per request in-process ({size})")
            self.report.data.setdefault("queries", {})[size] = python_module(
                "bench.queries", str(self.work / size / "manifest.json"), str(self.work / size), self.redis_url,
                env=self.env(size), log_to=self.work / f"queries-{size}.log")

    def endpoints(self, size: str, server: Server) -> list[Endpoint]:
        from bench.client import sign_in

        manifest = self.manifests[size]
        cookies = {}
        for role, email in (("officer", manifest["officer_web"]), ("assessor", manifest["assessor"])):
            browser = server.browser()
            sign_in(browser, email, manifest["password"], manifest.get("totp_secret"))
            cookies[role] = browser.cookie_header()
        # The same number of codes at both sizes: the app keeps per-process, per-code caches (the QR drawing),
        # and 1,000 codes would leave them cold at the large size only.
        codes = manifest["certificate_codes"][:CERTIFICATE_CODES]
        return [
            Endpoint("healthz", "/healthz", ["/healthz"]),
            Endpoint("certificate", "/c/<code>", [f"/c/{code}" for code in codes], marker="CQM-"),
            Endpoint("credential", "/c/<code>.json", [f"/c/{code}.json" for code in codes], marker="CQM-"),
            Endpoint("register", "/register?q=…", [f"/register?q={q}" for q in manifest["register_queries"]],
                     spread=True, marker="found"),
            Endpoint("office", "/office/ (officer)", ["/office/"], cookie=cookies["officer"], marker="Certification office"),
            Endpoint("reviews", "/reviews (assessor)", ["/reviews"], cookie=cookies["assessor"], marker="Your reviews"),
        ]

    def http(self) -> None:
        servers, endpoints = {}, {}
        try:
            for size in self.sizes:
                log(f"starting gunicorn --workers 4 on the {size} dataset")
                servers[size] = Server(self.env(size), 4, self.work / f"gunicorn-{size}.log")
                endpoints[size] = self.endpoints(size, servers[size])
                for endpoint in endpoints[size]:
                    paths_file = self.work / size / f"paths-{endpoint.name}.txt"
                    paths_file.write_text("\n".join(endpoint.paths) + "\n")
                    check_page(servers[size], endpoint)
                log(f"  {size} on 127.0.0.1:{servers[size].port}, workers {servers[size].workers()}; warming up")
                for endpoint in endpoints[size]:
                    wrk(servers[size].port, endpoint, self.work / size / f"paths-{endpoint.name}.txt",
                        threads=self.args.threads, connections=self.args.connections, seconds=self.warmup)
                    servers[size].wait_idle(self.manifests[size]["database"])
            runs: dict[tuple[str, str], list[dict]] = {}
            names = [endpoint.name for endpoint in endpoints[self.sizes[0]]]
            for round_number in range(self.rounds):
                for name in names:
                    for size in self.sizes:
                        endpoint = next(e for e in endpoints[size] if e.name == name)
                        figures = wrk(servers[size].port, endpoint, self.work / size / f"paths-{name}.txt",
                                      threads=self.args.threads, connections=self.args.connections,
                                      seconds=self.duration)
                        figures["idle_wait_s"] = round(servers[size].wait_idle(self.manifests[size]["database"]), 2)
                        runs.setdefault((size, name), []).append(figures)
                        log(f"  round {round_number + 1} {size:5} {endpoint.label:22} {figures['rps']:8.1f} req/s  "
                            f"p50 {figures['p50_us'] / 1000:7.1f} ms  p95 {figures['p95_us'] / 1000:7.1f} ms  "
                            f"p99 {figures['p99_us'] / 1000:7.1f} ms  errors {figures['errors']}")
            for size in self.sizes:  # still signed in, still the real pages
                for endpoint in endpoints[size]:
                    check_page(servers[size], endpoint)
        finally:
            for server in servers.values():
                server.stop()
        self.report.data["http"] = {f"{size}:{name}": values for (size, name), values in runs.items()}
        self.http_rows(runs, endpoints)

    def http_rows(self, runs, endpoints) -> None:
        """Values are medians over the rounds; a ratio is the median of the ratios of each round (its two
        sides measured seconds apart), so a neighbour's burst in one round does not decide it."""
        def med(size: str, name: str, key: str) -> float:
            return statistics.median(run[key] for run in runs[(size, name)])

        def ratios(top: list[dict], bottom: list[dict], key: str) -> tuple[float, str]:
            values = [a[key] / b[key] for a, b in zip(top, bottom)]
            spread = f", rounds {min(values):.2f}-{max(values):.2f}" if len(values) > 1 else ""
            return statistics.median(values), spread

        def errors(size: str, name: str) -> int:
            return sum(run["errors"] for run in runs[(size, name)])

        labels = {e.name: e.label for e in endpoints[self.sizes[0]]}
        for size in self.sizes:
            self.report.add("/healthz (trivial route): throughput, p50 / p99", size,
                            f"{med(size, 'healthz', 'rps'):,.0f} req/s, {med(size, 'healthz', 'p50_us') / 1000:.1f} / "
                            f"{med(size, 'healthz', 'p99_us') / 1000:.1f} ms", "reference")
            for name in ("certificate", "credential"):
                ratio, spread = ratios(runs[(size, name)], runs[(size, "healthz")], "rps")
                result = "PASS" if ratio >= THROUGHPUT_TARGET else "FAIL"
                if errors(size, name):
                    result = f"ERROR ({errors(size, name)} failed requests)"
                self.report.add(f"{labels[name]}: throughput vs /healthz (p50 / p99)", size,
                                f"{med(size, name, 'rps'):,.0f} req/s = {ratio:.2f}x{spread} "
                                f"({med(size, name, 'p50_us') / 1000:.1f} / {med(size, name, 'p99_us') / 1000:.1f} ms)",
                                f">= {THROUGHPUT_TARGET}x", result)
        queries = self.report.data.get("queries", {})
        for name in ("register", "office", "reviews"):
            for size in self.sizes:
                result = f"ERROR ({errors(size, name)} failed requests)" if errors(size, name) else "info"
                self.report.add(f"{labels[name]}: p95 latency ({med(size, name, 'rps'):,.0f} req/s)", size,
                                f"{med(size, name, 'p95_us') / 1000:.1f} ms", "—", result)
            if len(self.sizes) > 1:
                ratio, spread = ratios(runs[("large", name)], runs[("small", name)], "p95_us")
                self.report.add(f"{labels[name]}: p95 large / small", "large/small", f"{ratio:.2f}x{spread}",
                                f"<= {P95_TARGET}x", "PASS" if ratio <= P95_TARGET else "FAIL")
            else:
                self.report.add(f"{labels[name]}: p95 large / small", "large/small", "not measured (--quick)",
                                f"<= {P95_TARGET}x", "n/a")
            counts = {size: queries[size][name]["queries"] for size in self.sizes if size in queries}
            value = ", ".join(f"{size} {count}" for size, count in counts.items())
            result = ("PASS" if len(set(counts.values())) == 1 else "FAIL") if len(counts) > 1 else "n/a"
            self.report.add(f"{labels[name]}: SQL queries per request", "small, large" if len(counts) > 1 else "small",
                            value, "same at both sizes", result)

    def issuing(self) -> None:
        for size, worker, n in self.issue_plan():
            log(f"issuing {n} certificates on the {size} dataset with 2 x {worker}")
            manifest_path = self.work / size / "manifest.json"
            manifest = json.loads(manifest_path.read_text())
            used = self.report.data.setdefault("issued_decisions", {}).setdefault(size, 0)
            subset = dict(manifest, issue_decision_ids=manifest["issue_decision_ids"][used:used + n])
            self.report.data["issued_decisions"][size] = used + n
            subset_path = self.work / size / f"manifest-issue-{used}.json"
            subset_path.write_text(json.dumps(subset))
            from redis import Redis
            from rq import Queue

            connection = Redis.from_url(self.redis_url)
            Queue(self.queue, connection=connection).empty()
            # The README's command (`qualitymark jobs worker --with-scheduler`) on the run's own queue
            # (QUALITYMARK_QUEUE_NAME: the jobs that issuing enqueues go there too).
            command = [str(BIN / "qualitymark"), "jobs", "worker", "--with-scheduler"]
            if "SimpleWorker" in worker:  # the diagnostic
                command = [str(BIN / "rq"), "worker", "-w", "rq.worker.SimpleWorker", "--with-scheduler",
                           "--url", self.redis_url, self.queue]
            workers = [subprocess.Popen(command + ["--name", f"bench-{os.getpid()}-{size}-{i}-{time.time_ns()}"], cwd=ROOT,
                                        env=self.env(size, QUALITYMARK_QUEUE_NAME=self.queue), stdout=(self.work / f"rq-{size}-{i}.log").open("ab"),
                                        stderr=subprocess.STDOUT, start_new_session=True) for i in range(2)]
            try:
                time.sleep(2)
                for process in workers:
                    if process.poll() is not None:
                        raise RuntimeError(f"rq worker exited: {(self.work / f'rq-{size}-0.log').read_text()[-2000:]}")
                cap = self.args.issue_timeout
                figures = python_module("bench.issuing", str(subset_path), str(self.work / size), self.redis_url,
                                        self.queue, str(n), str(cap), env=self.env(size), timeout=cap + 120,
                                        log_to=self.work / f"issuing-{size}-{used}.log")
            finally:
                for process in workers:
                    stop(process, timeout=30)
            self.report.data.setdefault("issuing", []).append({"size": size, "worker": worker, **figures})
            seconds = figures["seconds_to_documents"]
            if figures["timed_out"] or not seconds:
                value = (f"did not finish within {cap:.0f} s: {figures['certificates']} certificates, "
                         f"{figures['documents']} PDFs")
                result = "ERROR"
            else:
                value = (f"{n / seconds:.2f} certificates/s with their PDFs (all {n} certificates after "
                         f"{figures['seconds_to_certificates']:.1f} s, all PDFs after {seconds:.1f} s; "
                         f"{sum(figures['jobs_by_task'].values())} jobs)")
                result = "info"
            if figures["jobs_by_status"].get("failed"):
                result = f"ERROR ({figures['jobs_by_status']['failed']} failed jobs)"
            self.report.add(f"Issuing N={n}: 2 x `{worker}", size, value, "—", result)

    def upload(self) -> None:
        from bench.client import sign_in

        for size in self.sizes:
            log(f"25 MB evidence upload through gunicorn --workers 1 ({size})")
            manifest = self.manifests[size]
            server = Server(self.env(size), 1, self.work / f"gunicorn-upload-{size}.log")
            try:
                (worker,) = server.workers()
                browser = server.browser()
                sign_in(browser, manifest["member"], manifest["password"])
                path = f"/applications/{manifest['upload_application_id']}/evidence"
                # Warm the worker: the page, and a small upload (imports and first-use caches are not the upload's cost).
                small = _upload(browser, path, 256 * 1024, "warm-up.pdf")
                if small.status not in (302, 303):
                    raise RuntimeError(f"the warm-up upload answered {small.status}")
                browser.get(path)
                # Signing in verifies an argon2id hash with 64 MiB of memory, which already set the worker's peak
                # (VmHWM) well above its resting size: reset the peak to the current RSS (Linux >= 4.0), so the
                # upload's own peak shows.
                reset = _reset_peak(worker)
                before = _proc_status(worker)
                started = time.perf_counter()
                response = _upload(browser, path, UPLOAD_BYTES, "annual-report-scan.pdf")
                seconds = time.perf_counter() - started
                after = _proc_status(worker)
                page = browser.get(path)
                stored = "annual-report-scan.pdf" in page.text
            finally:
                server.stop()
            growth_mb = (after["VmHWM"] - before["VmHWM"]) / 1024
            self.report.data.setdefault("upload", {})[size] = {
                "status": response.status, "location": response.header("Location"), "stored": stored,
                "peak_reset": reset, "seconds": round(seconds, 3),
                "before_kb": before, "after_kb": after, "hwm_growth_mb": round(growth_mb, 2)}
            ok = response.status in (302, 303) and stored
            result = ("PASS" if growth_mb <= UPLOAD_TARGET_MB else "FAIL") if ok else \
                f"ERROR (answered {response.status}, stored: {stored})"
            if ok and not reset and before["VmHWM"] > before["VmRSS"] + UPLOAD_TARGET_MB * 1024:
                result = "n/a (could not reset VmHWM; the sign-in's argon2 peak hides the upload's)"
            self.report.add("25 MB evidence upload: worker peak RSS (VmHWM) growth", size,
                            f"{growth_mb:.1f} MB (VmHWM {before['VmHWM'] / 1024:.0f} -> {after['VmHWM'] / 1024:.0f} MB, "
                            f"VmRSS after {after['VmRSS'] / 1024:.0f} MB; took {seconds:.2f} s)",
                            f"<= {UPLOAD_TARGET_MB:.0f} MB", result)

    # ----- results
    def write(self) -> tuple[Path, Path]:
        RESULTS.mkdir(parents=True, exist_ok=True)
        self.report.data["machine"]["loadavg_end"] = os.getloadavg()
        self.report.data["rows"] = [row.__dict__ for row in self.report.rows]
        self.report.data["problems"] = self.report.problems
        stem = RESULTS / self.run_id
        number = 2
        while stem.with_suffix(".md").exists() or stem.with_suffix(".json").exists():
            stem = RESULTS / f"{self.run_id}-{number}"
            number += 1
        md, js = stem.with_suffix(".md"), stem.with_suffix(".json")
        m, v = self.report.data["machine"], self.report.data["versions"]
        text = [
            f"# Benchmark {stem.name}", "",
            f"- Date: {self.report.data['date']} ({'quick: small dataset only, short runs' if self.quick else 'full'})",
            f"- Machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gb']} GB, Linux {m['kernel']}; "
            f"load average at start {', '.join(f'{x:.2f}' for x in m['loadavg_start'])}, at end "
            f"{', '.join(f'{x:.2f}' for x in m['loadavg_end'])}",
            f"- Versions: Python {v['python']}, PostgreSQL {v['postgres']}, {v['gunicorn']}, {v['wrk']}, rq {v['rq']}, "
            f"Redis {v['redis']}",
            f"- App: commit {v['app_commit']} ({v['app_worktree']})",
            f"- Load: wrk -t{self.args.threads} -c{self.args.connections} -d{self.duration:g}s --latency, "
            f"{self.rounds} round(s) per figure, sizes interleaved; values are medians over the rounds, a ratio is the "
            f"median of each round's ratio; gunicorn --workers 4; every figure from this one run",
            "", table(self.report.rows), "",
        ]
        for size, info in self.report.data.get("datasets", {}).items():
            text.append(f"- Dataset {size}: " + ", ".join(f"{k} {val:,}" for k, val in info["counts"].items())
                        + f"; built in {info['build_seconds']['total']:.0f} s. " + " ".join(info["notes"]))
        for problem in self.report.problems:
            text.append(f"- Problem: {problem}")
        slow = []
        for size, pages in self.report.data.get("queries", {}).items():
            for name, page in pages.items():
                top = page["statements"][0] if page["statements"] else None
                if top:
                    slow.append(f"- {size} {page['path']}: {page['queries']} queries, {page['db_ms']:.1f} ms in the "
                                f"database; slowest {top['ms']:.1f} ms: `{top['sql'][:160]}…`")
        if slow:
            text += ["", "Queries of one warm request, in-process (see the .json for every statement):", *slow]
        md.with_suffix(".md.tmp").write_text("\n".join(text) + "\n")
        md.with_suffix(".md.tmp").rename(md)
        js.with_suffix(".json.tmp").write_text(json.dumps(self.report.data, indent=2, default=str))
        js.with_suffix(".json.tmp").rename(js)
        return md, js

    def cleanup(self, keep_logs: bool = False) -> None:
        from bench.dataset import drop_database

        if self.redis_url:
            try:
                clean_redis(self.redis_url, [self.queue])
            except Exception as error:  # noqa: BLE001
                log(f"could not clean Redis: {error}")
        if self.args.keep:
            log(f"kept the databases {', '.join(self.databases)} and {self.work}")
            return
        if keep_logs:
            log(f"logs of the failed run are in {self.work}")
        for database in self.databases:
            try:
                drop_database(database)
            except Exception as error:  # noqa: BLE001
                log(f"could not drop {database}: {error}")
        if not keep_logs:
            shutil.rmtree(self.work, ignore_errors=True)


def _reset_peak(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _proc_status(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM", "VmSize"):
            values[key] = int(rest.split()[0])  # kB
    return values


def _upload(browser, path: str, size: int, filename: str):
    """POST the evidence form as multipart, streaming a PDF of `size` bytes (a real header, then padding)."""
    from bench.client import forms

    page = browser.get(path)
    form = next((f for f in forms(page.text) if f.method == "post" and "file" in f.names()), None)
    if form is None:
        raise RuntimeError(f"{path}: no upload form (status {page.status}); is the application a draft?")
    fields = [(name, value) for name, value in form.values() if name not in ("description", "evidence_type")]
    fields += [("description", "Annual report and members' meeting minutes, scanned."), ("evidence_type", "report")]
    boundary = "----qmbench" + os.urandom(8).hex()
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode() for name, value in fields)
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
             f"Content-Type: application/pdf\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    pdf_head = (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
                b"2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n%" + filename.encode() + b"\n")
    pdf_tail = b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    padding = size - len(pdf_head) - len(pdf_tail)

    def body():
        yield head
        yield pdf_head
        chunk = (b"% padding " + b"0" * 53 + b"\n") * 16384  # 1 MiB of PDF comment lines
        left = padding
        while left > 0:
            piece = chunk[:left]
            left -= len(piece)
            yield piece
        yield pdf_tail
        yield tail

    length = len(head) + size + len(tail)
    return browser.request("POST", form.action or path, body=body(), content_length=length,
                           content_type=f"multipart/form-data; boundary={boundary}", follow=False, referer=path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Care Quality Mark benchmarks (see bench/README.md).")
    parser.add_argument("--quick", action="store_true", help="small dataset only, short wrk runs")
    parser.add_argument("--duration", type=float, help="seconds per wrk run (default 5; --quick 3)")
    parser.add_argument("--rounds", type=int, help="wrk runs per figure, interleaved; the median is reported (default 4; --quick 1)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--issue-n", type=int, help="certificates issued per SimpleWorker diagnostic (default 200; --quick 50)")
    parser.add_argument("--issue-n-forking", type=int,
                        help="certificates issued through the README's forking `qualitymark jobs worker` (default 200; --quick 20)")
    parser.add_argument("--issue-timeout", type=float, default=420, help="give up issuing after this many seconds")
    parser.add_argument("--skip", action="append", default=[], choices=["micro", "http", "issuing", "upload"],
                        help="leave out a part (for trying the harness)")
    parser.add_argument("--keep", action="store_true", help="keep the databases and the work folder")
    args = parser.parse_args(argv)

    bench = Bench(args)
    started = time.perf_counter()
    failed = None
    try:
        bench.preflight()
        if "micro" not in args.skip:
            bench.micro()
        bench.build()
        bench.queries()
        if "http" not in args.skip:
            bench.http()
        if "issuing" not in args.skip:
            bench.issuing()
        if "upload" not in args.skip:
            bench.upload()
    except SystemExit:
        raise
    except BaseException as error:  # the table so far is still worth printing
        failed = error
        bench.report.problems.append(f"the run stopped: {type(error).__name__}: {str(error)[:1500]}")
    finally:
        if bench.report.data.get("machine"):
            bench.report.data["total_seconds"] = round(time.perf_counter() - started)
            md, js = bench.write()
            print()
            print(table(bench.report.rows))
            for problem in bench.report.problems:
                print(f"Problem: {problem}")
            print(f"\nWritten: {md.relative_to(ROOT)} and {js.relative_to(ROOT)} "
                  f"({bench.report.data['total_seconds']} s)")
        bench.cleanup(keep_logs=failed is not None)
    if failed is not None:
        if isinstance(failed, KeyboardInterrupt):
            return 130
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
