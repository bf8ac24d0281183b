"""Janus (Debian package `janus`, echotest plugin) in a private network namespace, for the C reference.

Janus leaves loopback interfaces out when it gathers ICE candidates, whatever its configuration
says, so it cannot meet 127.0.0.1-only peers. The benchmark therefore creates a network namespace
with a veth pair: one end (10.213.x.2) inside, where Janus runs with `ice_enforce_list` set to that
interface and its HTTP API bound to that address; the other end (10.213.x.1) stays in the
benchmark's namespace, and the load peers offer it as their only host candidate. Nothing is routed
anywhere else: the pair is a private link inside this machine. Needs root (`ip netns`).
"""

from __future__ import annotations

import contextlib
import glob
import os
import subprocess
import time
from pathlib import Path

from bench.relay_servers import READY_SECONDS, ServerProcess

JANUS = Path("/usr/bin/janus")
HTTP_PORT = 8088


def available() -> str | None:
    """None when Janus can be measured here, else why not."""
    if not JANUS.exists():
        return "Janus is not installed (apt-get install -y janus)"
    if os.geteuid() != 0:
        return "Janus needs a network namespace, which needs root"
    if not glob.glob("/usr/lib/*/janus/plugins/libjanus_echotest.so"):
        return "Janus's echotest plugin is missing"
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


class JanusServer(ServerProcess):
    name = "janus"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir / "janus")
        self.workdir.mkdir(parents=True, exist_ok=True)
        tag = os.getpid() % 100000
        self.netns = f"hwbench{tag}"
        self.outside, self.inside = f"hwb{tag}o", f"hwb{tag}i"
        subnet = 10 + tag % 200
        self.peer_address = f"10.213.{subnet}.1"
        self.janus_address = f"10.213.{subnet}.2"
        self._netns_made = False

    def _network(self) -> None:
        _ip("netns", "add", self.netns)
        self._netns_made = True
        _ip("link", "add", self.outside, "type", "veth", "peer", "name", self.inside)
        _ip("link", "set", self.inside, "netns", self.netns)
        _ip("addr", "add", f"{self.peer_address}/30", "dev", self.outside)
        _ip("link", "set", self.outside, "up")
        inside = ("netns", "exec", self.netns, "ip")
        _ip(*inside, "addr", "add", f"{self.janus_address}/30", "dev", self.inside)
        _ip(*inside, "link", "set", self.inside, "up")
        _ip(*inside, "link", "set", "lo", "up")

    def _configure(self) -> Path:
        plugins = Path(glob.glob("/usr/lib/*/janus/plugins/libjanus_echotest.so")[0]).parent
        lib = plugins.parent
        others = [p.name for p in plugins.glob("libjanus_*.so") if p.name != "libjanus_echotest.so"]
        transports = [p.name for p in (lib / "transports").glob("libjanus_*.so")
                      if p.name != "libjanus_http.so"]
        loggers = [p.name for p in (lib / "loggers").glob("libjanus_*.so")]
        folder = self.workdir / "conf"
        folder.mkdir(exist_ok=True)
        (folder / "janus.jcfg").write_text(f"""general: {{
    configs_folder = "{folder}"
    plugins_folder = "{plugins}"
    transports_folder = "{lib / 'transports'}"
    events_folder = "{lib / 'events'}"
    loggers_folder = "{lib / 'loggers'}"
    debug_level = 3
    session_timeout = 0
    server_name = "helpwire-bench"
}}
media: {{
    rtp_port_range = "20000-40000"
}}
nat: {{
    ice_enforce_list = "{self.inside}"
}}
plugins: {{
    disable = "{','.join(others)}"
}}
transports: {{
    disable = "{','.join(transports)}"
}}
loggers: {{
    disable = "{','.join(loggers)}"
}}
events: {{
    broadcast = false
}}
""")
        (folder / "janus.transport.http.jcfg").write_text(f"""general: {{
    json = "compact"
    base_path = "/janus"
    http = true
    port = {HTTP_PORT}
    ip = "{self.janus_address}"
    https = false
}}
admin: {{
    admin_http = false
}}
""")
        (folder / "janus.plugin.echotest.jcfg").write_text("general: {\n}\n")
        return folder

    def start(self) -> None:
        deadline = time.monotonic() + READY_SECONDS
        self._network()
        folder = self._configure()
        self.url = f"http://{self.janus_address}:{HTTP_PORT}"
        # `ip netns exec` execs Janus in place: the child's pid is Janus's, for /proc
        self._spawn(["ip", "netns", "exec", self.netns, str(JANUS), "-F", str(folder),
                               "-C", str(folder / "janus.jcfg"), "-o"])
        self._wait(f"{self.url}/janus/info", deadline)

    def stop(self) -> None:
        super().stop()
        if self._netns_made:
            self._netns_made = False
            with contextlib.suppress(subprocess.SubprocessError):
                _ip("netns", "del", self.netns)  # takes the veth pair with it
        with contextlib.suppress(subprocess.SubprocessError):
            _ip("link", "del", self.outside)  # only if a start failed half-way
