"""`python -m server serve` as a real process on a free loopback port, stopped by a real signal."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher

from server.store import AgentRepository, Database

REPO = Path(__file__).resolve().parents[2]
#: an upper bound for start-up on a loaded machine (imports alone take seconds); never a sleep
START_SECONDS = 60.0
STOP_SECONDS = 30.0
SERVING = re.compile(r"Helpwire is serving on (http://127\.0\.0\.1:\d+)/")
#: cheap Argon2id parameters: the agent signs in for real, quickly (verification reads them)
_TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass
class ServedProcess:
    process: asyncio.subprocess.Process
    url: str
    stderr_path: Path
    stdout_lines: list[str] = field(default_factory=list)
    _drain: asyncio.Task[None] | None = None

    async def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str, str]:
        """Send ``signum`` and wait for the exit: (exit code, stdout, stderr)."""
        if self.process.returncode is None:
            self.process.send_signal(signum)
        try:
            code = await asyncio.wait_for(self.process.wait(), STOP_SECONDS)
        finally:
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()
        if self._drain is not None:
            await self._drain
        return code, "".join(self.stdout_lines), self.stderr_path.read_text(encoding="utf-8")


def server_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """An operator's environment: none of our HELPWIRE_* settings leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPWIRE_") and k != "PORT"}
    env["PYTHONPATH"] = str(REPO)
    env["HELPWIRE_STORAGE__DATA_DIR"] = str(data_dir)
    env["HELPWIRE_SECURITY__SECRET_KEY"] = "test-secret-key-not-for-production"
    env["HELPWIRE_LOG__JSON_LINES"] = "true"
    env.update({f"HELPWIRE_{name.upper()}": value for name, value in settings.items()})
    return env


async def create_agent(database_url: str, username: str, display_name: str,
                       password: str = "password123") -> str:
    """An agent account in the database a served process will use (migrations run first)."""
    database = Database(database_url)
    await database.start()
    try:
        agent = await AgentRepository(database).create(
            username=username, display_name=display_name, password_hash=_TEST_HASHER.hash(password),
            skills=(), languages=(), max_concurrent=3, roles=(),
        )
        return agent.id
    finally:
        await database.close()


async def start_served(tmp_path: Path, env: dict[str, str], port: int = 0,
                       name: str = "server", extra_args: tuple[str, ...] = ()) -> ServedProcess:
    """Start the server and wait until it says where it listens (``port`` 0 = any free port)."""
    stderr_path = tmp_path / f"{name}.stderr"
    with stderr_path.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server", "serve", "--port", str(port), *extra_args,
            cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=stderr,
        )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(START_SECONDS):
            while True:
                raw = await process.stdout.readline()
                if not raw:
                    raise AssertionError(
                        f"the server exited before serving: {stderr_path.read_text()}")
                line = raw.decode()
                lines.append(line)
                found = SERVING.search(line)
                if found:
                    break
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    served = ServedProcess(process, found.group(1), stderr_path, lines)

    async def drain() -> None:
        assert process.stdout is not None
        while raw := await process.stdout.readline():
            lines.append(raw.decode())

    served._drain = asyncio.create_task(drain())
    return served
