"""The stack under load: a database of its own, gunicorn, PostgreSQL control, and the audit.

Everything here talks to loopback only. The database is created and dropped by name and
the names of the shared databases are refused, so a run never touches the test suite's
``test`` database.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.load.client import PASSWORD, SaveRecord

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
SERVER = os.environ.get("LOAD_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")
PROTECTED = {"postgres", "test", "template0", "template1"}
SECRET = "load-test-secret-key-not-for-production"
LETTERS = "ABCD"


def database_url(name: str) -> str:
    """The URL of database ``name`` on the loopback server."""
    return f"{SERVER}/{name}"


def drop_database(name: str) -> None:
    """Drop ``name`` if it exists, forcing out old sessions (never a shared database)."""
    if name in PROTECTED or not name.replace("_", "").isalnum():
        raise ValueError(f"refusing to drop database {name!r}")
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def recreate_database(name: str) -> str:
    """Drop (forcing out old sessions) and create ``name``; return its URL."""
    drop_database(name)
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(name)


def app_env(url: str, instance: Path, **settings: Any) -> dict[str, str]:
    """Environment for gunicorn and ``flask``: database, key, instance folder, settings."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        SECRET_KEY=SECRET,
        EXAM_ENGINE_INSTANCE_PATH=str(instance),
        EXAM_ENGINE_PASSWORD_HASH_PROFILE="fast",
        FLASK_APP="wsgi:app",
        PYTHONDONTWRITEBYTECODE="1",
    )
    for key, value in settings.items():
        env[f"EXAM_ENGINE_{key}"] = json.dumps(value)
    return env


def flask(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    """Run a ``flask`` command in the repository; return its output, raise on failure."""
    done = subprocess.run(
        [str(BIN / "flask"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def prepare(url: str, env: dict[str, str], users: int, prefix: str = "load") -> list[str]:
    """Migrate, import the bundled bank and bulk-create ``users`` candidates; return emails."""
    flask(env, "db", "upgrade")
    flask(env, "bank", "import")
    return create_users(url, users, prefix)


def create_users(url: str, count: int, prefix: str = "load") -> list[str]:
    """Insert candidates in one COPY, all with one precomputed (fast-profile) argon2 hash."""
    from argon2 import PasswordHasher

    password_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    emails = [f"{prefix}{n:05d}@load.example" for n in range(count)]
    now = datetime.now(UTC)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        columns = "email, name, password_hash, role, time_multiplier, is_active, created_at"
        with cur.copy(f"COPY users ({columns}) FROM STDIN") as copy:
            for email in emails:
                copy.write_row(
                    (email, email.split("@")[0], password_hash, "candidate", 1.0, True, now)
                )
    return emails


def prestart_attempts(url: str, emails: list[str], template: str) -> dict[str, tuple[int, int]]:
    """Start one attempt per candidate directly in the database, assembled by the real code.

    Used where starting thousands of attempts through HTTP is not what is being measured;
    each form is assembled by ``exam_engine.domain.assembly`` like ``start_attempt`` does.
    """
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from exam_engine.config import normalize_database_url
    from exam_engine.domain.assembly import BankIndex, assemble
    from exam_engine.models import QuestionVersion, User
    from exam_engine.services.attempts import deadline_for
    from exam_engine.services.catalog import blueprint_named, get_template, template_spec
    from exam_engine.services.pool import published_pool

    engine = create_engine(normalize_database_url(url))
    with Session(engine) as session:
        row = get_template(session, template)
        spec = template_spec(row)
        blueprint = blueprint_named(row.blueprint)
        index = BankIndex(published_pool(session))
        question_of = dict(
            session.execute(select(QuestionVersion.id, QuestionVersion.question_id)).all()
        )
        user_ids = dict(
            session.execute(select(User.email, User.id).where(User.email.in_(emails))).all()
        )
        template_id, mode, minutes = row.id, row.mode, row.minutes
    engine.dispose()
    now = datetime.now(UTC)
    deadline = deadline_for(now, minutes, 1.0)
    forms = {email: assemble(index, blueprint, spec, seed=n) for n, email in enumerate(emails)}
    result: dict[str, tuple[int, int]] = {}
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO attempts (user_id, template_id, seed, mode, kind, status, started_at,"
            " deadline_at) VALUES (%s, %s, %s, %s, 'mock', 'in_progress', %s, %s) RETURNING id",
            [(user_ids[e], template_id, n, mode, now, deadline) for n, e in enumerate(emails)],
            returning=True,
        )
        ids = []
        while True:
            ids.append(cur.fetchone()[0])  # type: ignore[index]
            if not cur.nextset():
                break
        columns = (
            "attempt_id, position, question_id, question_version_id, option_order, flagged,"
            " last_seq"
        )
        with cur.copy(f"COPY attempt_items ({columns}) FROM STDIN") as copy:
            for attempt_id, email in zip(ids, emails, strict=True):
                for item in forms[email].items:
                    copy.write_row(
                        (
                            attempt_id,
                            item.position,
                            question_of[item.version_id],
                            item.version_id,
                            json.dumps(list(item.option_order)),
                            False,
                            0,
                        )
                    )
                result[email] = (attempt_id, len(forms[email].items))
    return result


@dataclass
class AssignedSetup:
    """A cohort of the candidates with an assignment whose forms were prepared ahead."""

    url: str
    assignment_id: int
    positions: int
    assign_seconds: float
    prepared: dict[int, int]  # user id -> seed of their prepared form


def assign_cohort(url: str, emails: list[str], template: str) -> AssignedSetup:
    """Enrol the candidates in one cohort and assign ``template`` for a window opening tomorrow.

    The assignment is made by the real service, which prepares every student's form (that
    time is ``assign_seconds``); :func:`open_window` later brings the window to now.
    """
    from sqlalchemy import create_engine, insert, select
    from sqlalchemy.orm import Session

    from exam_engine.config import normalize_database_url
    from exam_engine.models import Cohort, Membership, PreparedForm, User
    from exam_engine.services import cohorts

    engine = create_engine(normalize_database_url(url))
    now = datetime.now(UTC)
    with Session(engine) as session:
        teacher = User(
            email="teacher@load.example", name="Load teacher", role="instructor", password_hash="-"
        )
        session.add(teacher)
        session.commit()
        cohort_id = cohorts.create_cohort(session, "Load cohort", teacher.id).id
        user_ids = session.scalars(select(User.id).where(User.email.in_(emails))).all()
        session.execute(
            insert(Membership),
            [{"cohort_id": cohort_id, "user_id": uid, "role": "student"} for uid in user_ids],
        )
        session.commit()
        cohort = session.get(Cohort, cohort_id)
        assert cohort is not None
        began = time.monotonic()
        assignment = cohorts.create_assignment(
            session,
            teacher.id,
            cohort,
            template,
            opens_at=now + timedelta(days=1),
            closes_at=now + timedelta(days=2),
        )
        seconds = time.monotonic() - began
        assignment_id = assignment.id
        positions = len(session.scalars(select(PreparedForm.items)).first() or [])
        prepared = dict(
            session.execute(
                select(PreparedForm.user_id, PreparedForm.seed).where(
                    PreparedForm.assignment_id == assignment_id
                )
            )
            .tuples()
            .all()
        )
    engine.dispose()
    return AssignedSetup(url, assignment_id, positions, round(seconds, 1), prepared)


def open_window(setup: AssignedSetup) -> None:
    """The bell: the assignment's window opens now (its forms were prepared a day ahead)."""
    with psycopg.connect(setup.url) as conn:
        conn.execute(
            "UPDATE assignments SET opens_at = now() - interval '1 second' WHERE id = %s",
            (setup.assignment_id,),
        )


def assigned_sittings(setup: AssignedSetup) -> dict[str, int]:
    """How many sittings the assignment has, and how many were written from prepared forms."""
    with psycopg.connect(setup.url) as conn:
        rows = conn.execute(
            "SELECT user_id, seed FROM attempts WHERE assignment_id = %s", (setup.assignment_id,)
        ).fetchall()
    from_prepared = sum(1 for user_id, seed in rows if setup.prepared.get(user_id) == seed)
    return {"sittings": len(rows), "from_prepared_form": from_prepared}


def create_floor_table(url: str) -> None:
    """Create the floor endpoint's scratch table (``benchmarks.load.floor.FLOOR``)."""
    from sqlalchemy import create_engine

    from benchmarks.load.floor import FLOOR
    from exam_engine.config import normalize_database_url

    engine = create_engine(normalize_database_url(url))
    FLOOR.drop(engine, checkfirst=True)
    FLOOR.create(engine)
    engine.dispose()


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (read from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces; the fields after the closing parenthesis do not.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            found.append(int(entry))
    return sorted(found)


class Gunicorn:
    """gunicorn serving an app (``wsgi:app`` unless told) on a free loopback port, run by us.

    ``host``/``port`` bind it elsewhere (an address inside a network namespace), and
    ``prefix`` goes before the command (``ip netns exec NAME``, which execs gunicorn itself,
    so the process we hold is still the master).
    """

    def __init__(
        self,
        env: dict[str, str],
        log: Path,
        *,
        workers: int = 2,
        args: Iterable[str] = (),
        app: str = "wsgi:app",
        host: str = "127.0.0.1",
        port: int | None = None,
        prefix: Iterable[str] = (),
    ) -> None:
        self.env = env
        self.log = log
        self.workers = workers
        self.args = list(args)
        self.app = app
        self.host = host
        self.port = free_port() if port is None else port
        self.prefix = list(prefix)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        """The server's base URL."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 60) -> None:
        """Start and wait until /healthz answers 200 and every worker is up."""
        command = [
            *self.prefix,
            str(BIN / "gunicorn"),
            "-w",
            str(self.workers),
            "-b",
            f"{self.host}:{self.port}",
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            "--no-control-socket",  # several servers may run at once; none needs it
            *self.args,
            self.app,
        ]
        with self.log.open("ab") as handle:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}); see {self.log}")
            if self.healthy() and len(self.worker_pids()) >= self.workers:
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not become healthy in {timeout} s; see {self.log}")

    def healthy(self) -> bool:
        """True when /healthz answers 200."""
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=2) as reply:
                return bool(reply.status == 200)
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        """The current worker processes."""
        return children(self.process.pid) if self.process else []

    def stop(self) -> None:
        """SIGTERM, then SIGKILL the whole process group if it lingers."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def kill(self) -> None:
        """SIGKILL the master's whole process group (master and workers) and reap the master."""
        # Only while the master is unreaped: until then its pid, the group's id, cannot have
        # been reused by another process group.
        if self.process is None or self.process.returncode is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # every process of the group has exited already
        self.process.wait(timeout=10)

    def __enter__(self) -> Gunicorn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def pg_cluster(action: str, timeout: float = 120) -> None:
    """``pg_ctlcluster`` on this machine's one cluster: start, stop or restart."""
    versions = sorted(os.listdir("/etc/postgresql"))
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", action],
        check=True,
        timeout=timeout,
        capture_output=True,
    )


def pg_ready(timeout: float = 60) -> bool:
    """Wait until the server accepts connections; False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(database_url("postgres"), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.OperationalError:
            time.sleep(0.3)
    return False


def others_connected(own: str) -> int:
    """Client sessions on the server that are not ours (other databases, other tools)."""
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
            " AND pid <> pg_backend_pid() AND datname IS DISTINCT FROM %s",
            (own,),
        ).fetchone()
    return int(row[0]) if row else 0


def wait_for_quiet(own: str, timeout: float) -> int:
    """Wait (bounded) until no one else is connected; return how many still are."""
    deadline = time.monotonic() + timeout
    while (busy := others_connected(own)) and time.monotonic() < deadline:
        time.sleep(1)
    return busy


@contextmanager
def database_kept_running() -> Iterator[None]:
    """Whatever happens inside, leave PostgreSQL running."""
    try:
        yield
    finally:
        if not pg_ready(timeout=3):
            pg_cluster("start")
            pg_ready(timeout=60)


@dataclass
class Audit:
    """What the database holds compared with what the clients were told."""

    stored: int = 0  # saves the clients were told were stored
    unconfirmed: int = 0  # saves that never got an answer (may or may not be stored)
    refused: int = 0  # 409: time up or finished
    lost: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    graded_wrong: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing stored was lost, no row disagrees, every grade is right."""
        return not (self.lost or self.corrupt or self.graded_wrong)

    def summary(self) -> dict[str, Any]:
        """Counts and the first few problems."""
        return {
            "stored": self.stored,
            "unconfirmed": self.unconfirmed,
            "refused": self.refused,
            "lost": len(self.lost),
            "corrupt": len(self.corrupt),
            "graded_wrong": len(self.graded_wrong),
            "examples": (self.lost + self.corrupt + self.graded_wrong)[:10],
        }


def letter(order: list[int], stored: int | None) -> str | None:
    """The candidate-facing option id of a stored option index."""
    return None if stored is None else LETTERS[order.index(stored)]


def audit(url: str, saves: Iterable[SaveRecord]) -> Audit:
    """Check every save the clients logged against the responses and items in the database."""
    report = Audit()
    sent: dict[tuple[int, int, int], SaveRecord] = {}
    for record in saves:
        sent[(record.attempt_id, record.position, record.seq)] = record
        if record.outcome == "stored":
            report.stored += 1
        elif record.outcome == "refused":
            report.refused += 1
        elif record.outcome in ("failed", "pending"):
            report.unconfirmed += 1
    attempt_ids = sorted({key[0] for key in sent})
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT i.attempt_id, i.position, i.option_order, r.seq, r.choice, r.flagged,"
            " r.saved_at FROM responses r JOIN attempt_items i ON i.id = r.attempt_item_id"
            " WHERE i.attempt_id = ANY(%s)",
            (attempt_ids,),
        ).fetchall()
        items = conn.execute(
            "SELECT attempt_id, position, option_order, choice, flagged, last_seq"
            " FROM attempt_items WHERE attempt_id = ANY(%s)"
            " AND (last_seq > 0 OR choice IS NOT NULL OR flagged)",
            (attempt_ids,),
        ).fetchall()
        attempts = conn.execute(
            "SELECT id, status, result FROM attempts WHERE id = ANY(%s)", (attempt_ids,)
        ).fetchall()
    in_db: dict[tuple[int, int, int], tuple[str | None, bool]] = {}
    for attempt_id, position, order, seq, choice, flagged, _saved_at in rows:
        key = (attempt_id, position, seq)
        in_db[key] = (letter(order, choice), flagged)
        record = sent.get(key)
        if record is None or (record.choice, record.flagged) != in_db[key]:
            report.corrupt.append(f"response {key} = {in_db[key]} was never sent like that")
    newest: dict[tuple[int, int], int] = defaultdict(int)
    for key, record in sent.items():
        if record.outcome != "stored":
            continue
        newest[key[:2]] = max(newest[key[:2]], key[2])
        if in_db.get(key) != (record.choice, record.flagged):
            report.lost.append(f"save {key} ({record.choice}, {record.flagged}) not in responses")
    final: dict[tuple[int, int], tuple[str | None, bool, int]] = {}
    for attempt_id, position, order, choice, flagged, last_seq in items:
        final[(attempt_id, position)] = (letter(order, choice), flagged, last_seq)
    for key, seq in newest.items():
        choice, flagged, last_seq = final.get(key, (None, False, 0))
        record = sent.get((*key, last_seq))
        if last_seq < seq or record is None or (record.choice, record.flagged) != (choice, flagged):
            report.lost.append(
                f"item {key} holds seq {last_seq} {choice, flagged}; newest stored {seq}"
            )
    for attempt_id, status, result in attempts:
        if status == "in_progress":
            if result is not None:
                report.graded_wrong.append(f"attempt {attempt_id} in progress with a result")
            continue
        answered = sum(1 for k, v in final.items() if k[0] == attempt_id and v[0] is not None)
        flagged = sorted(k[1] for k, v in final.items() if k[0] == attempt_id and v[1])
        if (
            result is None
            or result["answered"] != answered
            or result["flagged_positions"] != flagged
        ):
            report.graded_wrong.append(
                f"attempt {attempt_id} {status}: result {result and result['answered']} answered,"
                f" items say {answered}"
            )
    return report


def integrity(url: str, attempt_ids: list[int]) -> list[str]:
    """Rows that break the save invariants, described (empty when all is well).

    Each item holds the newest seq among its stored responses and exactly that response's
    answer; a finished attempt has its graded result; an attempt in progress has none.
    """
    problems = []
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT i.attempt_id, i.position, i.last_seq, i.choice, i.flagged,"
            " r.seq, r.choice, r.flagged FROM attempt_items i LEFT JOIN LATERAL"
            " (SELECT seq, choice, flagged FROM responses WHERE attempt_item_id = i.id"
            "  ORDER BY seq DESC LIMIT 1) r ON true"
            " WHERE i.attempt_id = ANY(%s) AND (i.last_seq > 0 OR r.seq IS NOT NULL)",
            (attempt_ids,),
        ).fetchall()
        for attempt_id, position, last_seq, choice, flagged, seq, r_choice, r_flagged in rows:
            if (last_seq, choice, flagged) != (seq, r_choice, r_flagged):
                problems.append(
                    f"attempt {attempt_id} position {position}: item {last_seq, choice, flagged}"
                    f" but newest response {seq, r_choice, r_flagged}"
                )
        for attempt_id, status, graded in conn.execute(
            "SELECT id, status, result IS NOT NULL FROM attempts WHERE id = ANY(%s)",
            (attempt_ids,),
        ):
            if graded != (status != "in_progress"):
                problems.append(f"attempt {attempt_id} is {status} with graded={graded}")
    return problems


def shift_deadlines(url: str, attempt_ids: list[int], deadline: datetime) -> None:
    """Move attempts' deadlines (the fault tests use this to bring the deadline near)."""
    with psycopg.connect(url) as conn:
        conn.execute(
            "UPDATE attempts SET deadline_at = %s, started_at = LEAST(started_at, %s)"
            " WHERE id = ANY(%s)",
            (deadline, deadline - timedelta(seconds=1), attempt_ids),
        )
