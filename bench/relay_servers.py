"""The servers under test, each a separate process measured from /proc: Helpwire, the MediaRelay
baseline, and Janus (its echotest plugin) inside a private network namespace.

Every `start()` has a deadline and every `stop()` is safe to call twice and after a failed start.
Server output goes to a log file in the run's temporary folder, never to the terminal.
"""

from __future__ import annotations

import abc
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO

PYTHON = sys.executable
READY_SECONDS = 60.0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_http(url: str, process: subprocess.Popen[bytes], deadline: float) -> None:
    """Until `url` answers 200; fails early if the process died. No event exists for this, so poll."""
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before answering {url}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer within {READY_SECONDS:.0f} s")
        time.sleep(0.05)


class ServerProcess(abc.ABC):
    """A child process in its own process group, stopped with SIGTERM, then SIGKILL."""

    name = "server"
    #: how load peers identify frames: "hash" (forwarded unchanged) or "decode" (re-encoded)
    identify = "hash"
    #: the address the load peers' host candidates use to reach this server
    peer_address = "127.0.0.1"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def _spawn(self, command: list[str]) -> subprocess.Popen[bytes]:
        self._log = open(self.workdir / f"{self.name}.log", "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        return self.process

    @abc.abstractmethod
    def start(self) -> None:
        """Start the server and return once it answers."""

    def log_tail(self) -> str:
        path = self.workdir / f"{self.name}.log"
        return path.read_text(errors="replace")[-1500:] if path.exists() else ""

    def _wait(self, url: str, deadline: float) -> None:
        assert self.process is not None
        try:
            wait_http(url, self.process, deadline)
        except (RuntimeError, TimeoutError) as error:
            raise RuntimeError(f"{self.name} did not start: {error}\n{self.log_tail()}") from None

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None


class HelpwireServer(ServerProcess):
    """`python -m server --config F serve --port P` on a temporary SQLite database, loopback ICE."""

    name = "helpwire"
    password = secrets.token_urlsafe(12)

    def __init__(self, workdir: Path, agents: int) -> None:
        super().__init__(workdir / "helpwire")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.agents = [f"bench-w{i}" for i in range(agents)]
        self.config = self.workdir / "helpwire.toml"

    def _write_config(self) -> None:
        self.config.write_text("\n".join([
            f'data_dir = "{self.workdir / "data"}"',
            f'secret_key = "{secrets.token_hex(16)}"',
            'media_host_addresses = ["127.0.0.1"]',  # loopback host candidates; no STUN/TURN
            "customer_grace_seconds = 0",
            "agent_grace_seconds = 0",
            'log_level = "WARNING"',
            "",
        ]))

    def _create_agents(self) -> None:
        env = {**os.environ, "HELPWIRE_AGENT_PASSWORD": self.password}

        def create(names: list[str]) -> None:
            creating = [subprocess.Popen([PYTHON, "-m", "server", "--config", str(self.config),
                                          "create-agent", name, "--max-concurrent", "200"],
                                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                        for name in names]
            for process in creating:
                _, err = process.communicate(timeout=READY_SECONDS)
                if process.returncode != 0:
                    raise RuntimeError(f"create-agent failed: {err.decode(errors='replace').strip()}")

        create(self.agents[:1])  # the first one creates the database; the others may run together
        create(self.agents[1:])

    def start(self) -> None:
        deadline = time.monotonic() + READY_SECONDS
        self._write_config()
        self._create_agents()
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self._spawn([PYTHON, "-m", "server", "--config", str(self.config), "serve", "--port", str(port)])
        self._wait(f"{self.url}/healthz", deadline)


class BaselineServer(ServerProcess):
    """aiortc's MediaRelay (decode + re-encode): bench/relay_baseline.py."""

    name = "mediarelay"
    identify = "decode"

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        process = self._spawn([PYTHON, "-m", "bench.relay_baseline", "--port", str(port)])
        log = self.workdir / f"{self.name}.log"
        deadline = time.monotonic() + READY_SECONDS
        # the baseline prints "ready" once it listens; reading its log is the only event there is
        while b"ready" not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the MediaRelay baseline did not start (see its log)")
            time.sleep(0.05)
