"""A REAL Helpwire server process (`python -m server serve`), to be stopped, killed and restarted.

The in-process ``live_server`` cannot be kill -9'd or SIGTERM'd; this can. Settings go in a TOML
file passed with ``--config`` (kept beside the logs, so a failed test shows what ran); the secret
key is fixed, so case and agent tokens stay valid across restarts. Every run's stdout and stderr
(structured JSON logs) are written to files in the work folder.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import aiohttp
from argon2 import PasswordHasher

from server.store import AgentRepository, Database

from .limits import LOOPBACK_SECURITY

REPO = Path(__file__).resolve().parents[2]
#: the secret that signs case and agent tokens: the same for every run of one test's server
SECRET_KEY = "fault-tests-secret-key-kept-across-restarts"
#: seconds a fresh process gets to answer /healthz (imports, migrations, binding the port)
START_TIMEOUT = 30.0
#: seconds a SIGTERM'd process gets to exit
STOP_TIMEOUT = 15.0
#: seconds one /healthz request may take
HEALTH_REQUEST_TIMEOUT = 3.0
PASSWORD = "fault-test-password"
#: cheapest Argon2id parameters: the server verifies with the parameters stored in the hash
_TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


#: pids of every server process started and not yet reaped: ``kill_leftovers`` ends them even when
#: a test was interrupted (pytest-timeout) before its ``finally`` could run
_LIVE_PIDS: set[int] = set()


def kill_leftovers() -> list[int]:
    """SIGKILL every server process a test left running (synchronous); returns their pids."""
    killed = []
    for pid in list(_LIVE_PIDS):
        _LIVE_PIDS.discard(pid)
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            os.waitpid(pid, 0)
    return killed


atexit.register(kill_leftovers)


class ServerFailed(AssertionError):
    """The server process did not do what the harness needed (with its log tail)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Health:
    """One /healthz request: when it was sent and answered, and what it said."""

    sent_at: float
    answered_at: float
    status: int | None  # None: no answer (refused, reset or timed out)
    body: dict[str, Any] | None

    @property
    def degraded(self) -> bool:
        return self.status == 503 and (self.body or {}).get("status") == "degraded"

    @property
    def ok(self) -> bool:
        return self.status == 200 and (self.body or {}).get("status") == "ok"

    @property
    def reasons(self) -> list[str]:
        reasons = (self.body or {}).get("reasons")
        return [str(r) for r in reasons] if isinstance(reasons, list) else []


async def health(url: str, timeout: float = HEALTH_REQUEST_TIMEOUT) -> Health:
    sent = time.monotonic()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http:
            async with http.get(f"{url}/healthz") as response:
                try:
                    body = await response.json(content_type=None)
                except (ValueError, aiohttp.ContentTypeError):
                    body = None
                return Health(sent, time.monotonic(), response.status,
                              body if isinstance(body, dict) else None)
    except (aiohttp.ClientError, OSError, TimeoutError):
        return Health(sent, time.monotonic(), None, None)


@dataclass
class AgentSpec:
    username: str
    max_concurrent: int
    id: str = ""


async def create_agents(database_url: str, specs: list[AgentSpec]) -> list[AgentSpec]:
    """Agent accounts written straight into the (migrated) database before the server starts."""
    database = Database(database_url)
    await database.start()
    try:
        repository = AgentRepository(database)
        password_hash = _TEST_HASHER.hash(PASSWORD)
        for spec in specs:
            agent = await repository.create(
                username=spec.username, display_name=spec.username.title(),
                password_hash=password_hash, max_concurrent=spec.max_concurrent,
            )
            spec.id = agent.id
    finally:
        await database.close()
    return specs


async def login(url: str, username: str, password: str = PASSWORD) -> str:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        async with http.post(f"{url}/api/agent/login",
                             json={"username": username, "password": password}) as response:
            body = await response.json()
            if response.status != 200:
                raise ServerFailed(f"login of {username} answered {response.status}: {body}")
            return str(body["token"])


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value))  # a JSON string is a valid TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML for {value!r}")


@dataclass
class ServerProcess:
    """One server, started as a child process; ``restart()`` keeps its port and database."""

    workdir: Path
    database_url: str
    #: extra settings for the TOML file, by section: {"dispatch": {"customer_grace_seconds": 60}}
    settings: dict[str, Any] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    python: str = sys.executable
    process: asyncio.subprocess.Process | None = None
    runs: int = 0
    #: exit codes of finished runs, in order
    exit_codes: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.workdir / "helpwire.toml"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def log_path(self, run: int, stream: str) -> Path:
        return self.workdir / f"server-run{run}.{stream}.log"

    def _write_config(self) -> None:
        values: dict[str, dict[str, Any]] = {
            "network": {"host": "127.0.0.1", "port": self.port},
            "storage": {"database_url": self.database_url, "data_dir": self.workdir / "data"},
            # every client is 127.0.0.1 (tests/support/limits.py)
            "security": {**LOOPBACK_SECURITY, "secret_key": SECRET_KEY},
            "log": {"json_lines": True},
            # the standard loop: the harness is about durability, not speed
            "runtime": {"event_loop": "asyncio"},
        }
        for section, changes in self.settings.items():
            values[section] = {**values.get(section, {}), **changes}
        self.workdir.mkdir(parents=True, exist_ok=True)
        lines = [f"{section}.{key} = {_toml_value(value)}"
                 for section, fields in values.items() for key, value in fields.items()]
        self.config_path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def _environment(self) -> dict[str, str]:
        # no HELPWIRE_* setting of the test run leaks in: the config file says everything
        env = {k: v for k, v in os.environ.items() if not k.startswith("HELPWIRE_") and k != "PORT"}
        env["PYTHONPATH"] = str(REPO)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    async def start(self, timeout: float = START_TIMEOUT) -> float:
        """Start a run and wait until /healthz answers; returns that moment (monotonic)."""
        if self.running:
            raise ServerFailed("the server is already running")
        self._write_config()
        self.runs += 1
        run = self.runs
        out, err = self._open_logs(run)
        with out, err:
            self.process = await asyncio.create_subprocess_exec(
                self.python, "-m", "server", "--config", str(self.config_path), "serve",
                "--port", str(self.port),
                cwd=REPO, env=self._environment(), stdout=out, stderr=err,
                stdin=asyncio.subprocess.DEVNULL, start_new_session=True,
            )
        _LIVE_PIDS.add(self.process.pid)
        return await self.wait_answering(timeout)

    def _open_logs(self, run: int) -> tuple[BinaryIO, BinaryIO]:
        return open(self.log_path(run, "stdout"), "wb"), open(self.log_path(run, "stderr"), "wb")

    async def wait_answering(self, timeout: float = START_TIMEOUT) -> float:
        """Wait (bounded) until /healthz gives any HTTP answer; returns when it did."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                raise ServerFailed(f"the server exited with {self._returncode()} before answering"
                                   f" /healthz\n{self.log_tail()}")
            answer = await health(self.url, timeout=1.0)
            if answer.status is not None:
                return answer.answered_at
            if time.monotonic() > deadline:
                raise ServerFailed(f"/healthz did not answer within {timeout} s\n{self.log_tail()}")
            await asyncio.sleep(0.05)  # polling a port that is not open yet: nothing to await

    async def wait_healthy(self, timeout: float) -> Health:
        """Wait (bounded) until /healthz says 200 ok; returns that answer."""
        deadline = time.monotonic() + timeout
        last: Health | None = None
        while time.monotonic() < deadline:
            last = await health(self.url)
            if last.ok:
                return last
            await asyncio.sleep(0.1)
        raise ServerFailed(f"/healthz was not 200 ok within {timeout} s; last answer: "
                           f"{last and (last.status, last.body)}")

    async def terminate(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, then wait (bounded) for the exit; returns the exit code."""
        return await self._signal(signal.SIGTERM, timeout)

    async def kill(self) -> int:
        """SIGKILL: no shutdown code runs at all."""
        return await self._signal(signal.SIGKILL, STOP_TIMEOUT)

    async def restart(self, timeout: float = START_TIMEOUT) -> float:
        """Start again on the same port and database (after terminate() or kill())."""
        if self.running:
            await self.terminate()
        return await self.start(timeout)

    async def stop(self) -> None:
        """Make sure no process is left (for ``finally``); never raises."""
        if not self.running:
            return
        with contextlib.suppress(Exception):
            await self._signal(signal.SIGTERM, 5.0)
        if self.running:
            with contextlib.suppress(Exception):
                await self._signal(signal.SIGKILL, 5.0)

    async def _signal(self, signum: signal.Signals, timeout: float) -> int:
        process = self.process
        if process is None or process.returncode is not None:
            raise ServerFailed("the server is not running")
        process.send_signal(signum)
        try:
            code = await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            _LIVE_PIDS.discard(process.pid)
            raise ServerFailed(f"the server did not exit within {timeout} s of {signum.name}"
                               f" (killed)\n{self.log_tail()}") from None
        _LIVE_PIDS.discard(process.pid)
        self.exit_codes.append(code)
        return code

    def _returncode(self) -> int | None:
        return None if self.process is None else self.process.returncode

    def log_records(self, run: int | None = None) -> list[dict[str, Any]]:
        """The JSON log lines of one run (default: the latest), in order."""
        records: list[dict[str, Any]] = []
        for stream in ("stderr", "stdout"):
            path = self.log_path(run or self.runs, stream)
            if not path.exists():
                continue
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("{"):
                    with contextlib.suppress(ValueError):
                        records.append(json.loads(line))
        return records

    def log_tail(self, lines: int = 30) -> str:
        parts = []
        for stream in ("stdout", "stderr"):
            path = self.log_path(self.runs, stream)
            if path.exists():
                text = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path.name} (last {len(text)} lines)\n" + "\n".join(text))
        return "\n".join(parts)


class HealthWatch:
    """Asks /healthz every ``every`` seconds in the background and keeps every answer."""

    def __init__(self, url: str, every: float = 0.25) -> None:
        self.url = url
        self.every = every
        self.answers: list[Health] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> HealthWatch:
        self._task = asyncio.ensure_future(self._run())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        # one request every `every` seconds, each on its own: a hanging answer delays no other
        pending: set[asyncio.Task[None]] = set()
        try:
            while True:
                task = asyncio.ensure_future(self._ask())
                pending.add(task)
                task.add_done_callback(pending.discard)
                await asyncio.sleep(self.every)  # a polling rate, not a wait for an event
        finally:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _ask(self) -> None:
        answer = await health(self.url)
        self.answers.append(answer)
        self.answers.sort(key=lambda a: a.sent_at)

    def sent_between(self, start: float, end: float) -> list[Health]:
        return [a for a in self.answers if start <= a.sent_at < end]

    @staticmethod
    def describe(answers: list[Health]) -> str:
        """e.g. "200 ok ×3, 503 degraded [writes_failing] ×8, no answer ×1"."""
        labels: list[str] = []
        for answer in answers:
            if answer.status is None:
                label = "no answer"
            else:
                label = f"{answer.status} {(answer.body or {}).get('status')}"
                if answer.reasons:
                    label += f" {answer.reasons}"
            if labels and labels[-1].rsplit(" ×", 1)[0] == label:
                head, _, n = labels[-1].rpartition(" ×")
                labels[-1] = f"{head} ×{int(n) + 1}"
            else:
                labels.append(f"{label} ×1")
        return ", ".join(labels) or "no requests"
