"""Debian's coturn (`/usr/bin/turnserver`) on 127.0.0.1 with a shared secret (`use-auth-secret`).

The TURN server the upgrade benchmark relays through, and the one media_tests/test_turn_coturn.py
checks Helpwire's credentials against. Everything is on the command line (no configuration file),
its files stay in the given folder, and its log (verbose: each allocation and refusal) is kept
there too. `start` returns once coturn answers a STUN Binding request on its port.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from aioice import stun

from server.media.ice import IceConfig

TURNSERVER = Path("/usr/bin/turnserver")
REALM = "helpwire.test"
#: how long minted TURN credentials stay valid
TTL = 600
START_SECONDS = 10.0
INSTALL_HINT = "install coturn with `apt-get update && apt-get install -y coturn` (done by .ci/run)"


@dataclass
class Coturn:
    port: int
    secret: str
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"

    def ice(self, secret: str | None = None) -> IceConfig:
        """Helpwire's ICE settings for this coturn (with `secret` instead of the shared one)."""
        return IceConfig(turn_urls=(self.url,), turn_secret=secret or self.secret,
                         turn_ttl_seconds=TTL)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def free_port() -> int:
    """A port free on 127.0.0.1 for both UDP and TCP (coturn listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return int(port)
    raise RuntimeError("no port free for both UDP and TCP on 127.0.0.1")


def answers_stun(port: int) -> bool:
    """True once coturn answers a STUN Binding request on its UDP port."""
    request = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.settimeout(0.1)
        probe.sendto(bytes(request), ("127.0.0.1", port))
        try:
            data = probe.recv(2048)
        except (TimeoutError, ConnectionRefusedError):
            return False
    response = stun.parse_message(data)
    return (response.transaction_id == request.transaction_id
            and response.message_class == stun.Class.RESPONSE)


def start(workdir: Path) -> Coturn:
    """coturn on a free loopback port with a random secret; raises if it cannot be had."""
    if not TURNSERVER.exists():
        raise FileNotFoundError(f"{TURNSERVER} is missing: {INSTALL_HINT}")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    secret = secrets.token_urlsafe(32)
    log = workdir / "coturn.log"
    command = [
        str(TURNSERVER),
        "-n",  # no configuration file: everything is on this command line
        f"--listening-port={port}", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
        "--use-auth-secret", f"--static-auth-secret={secret}", f"--realm={REALM}",
        "--no-cli", "--no-tls", "--no-dtls",
        "--allow-loopback-peers",  # the peers' relay addresses are on 127.0.0.1 too
        "--log-file=stdout", "--verbose",  # --verbose: log each allocation and refusal
        # keep coturn's files out of /var/run and /var/lib/turn
        f"--pidfile={workdir / 'turnserver.pid'}", f"--userdb={workdir / 'turndb'}",
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, cwd=workdir)
    server = Coturn(port, secret, log, process)
    deadline = time.monotonic() + START_SECONDS
    while not answers_stun(port):  # coturn says nothing else when it is ready: ask it
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"turnserver did not answer STUN on 127.0.0.1:{port} within"
                               f" {START_SECONDS:.0f} s:\n{server.output()[-3000:]}")
    return server
