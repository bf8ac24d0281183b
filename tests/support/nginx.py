"""Debian's nginx, run as the test user from a temporary prefix, with a reference configuration:
deploy/nginx/helpwire.conf (one server) or deploy/nginx/helpwire-cluster.conf (several nodes).

The reference configuration is used as written except for what must differ on a test machine:
the listening ports (free loopback ports), the certificate (made for the test), the upstream
(the test's server, or its nodes) and the cache folder (under the prefix). The access log also
names the node that answered each request (``upstream=``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import os
import pwd
import re
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "deploy" / "nginx" / "helpwire.conf"
CLUSTER_CONF = REPO / "deploy" / "nginx" / "helpwire-cluster.conf"
#: the nodes of the cluster configuration's upstreams, as written there (each with its options)
_EXAMPLE_NODES = re.compile(r"(?:\n(\s*)server 10\.0\.0\.1\d:8080( [^;]*)?;[^\n]*)+")
NGINX = Path("/usr/sbin/nginx")
INSTALL_HINT = ("nginx is not installed at /usr/sbin/nginx: `apt-get install -y nginx` "
                "(.ci/run installs it)")
START_SECONDS = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, valid for a day: (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _listening_and_tls(text: str, name: str, https_port: int, http_port: int, cert: Path,
                       key: Path, cache: Path) -> str:
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "/etc/letsencrypt/live/help.example.se/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/help.example.se/privkey.pem": str(key),
        "/var/cache/nginx/helpwire": str(cache),
    }
    for old, new in replacements.items():
        assert old in text, f"{name} no longer has {old!r}"
        text = text.replace(old, new)
    return text


def site_config(upstream: str, https_port: int, http_port: int, cert: Path, key: Path,
                cache: Path) -> str:
    """deploy/nginx/helpwire.conf with the test machine's ports, certificate and upstream."""
    text = CONF.read_text()
    assert "server 127.0.0.1:8080;" in text, "deploy/nginx/helpwire.conf has no upstream server"
    text = text.replace("server 127.0.0.1:8080;", f"server {upstream};")
    return _listening_and_tls(text, "deploy/nginx/helpwire.conf", https_port, http_port, cert,
                              key, cache)


def cluster_config(nodes: Sequence[str], https_port: int, http_port: int, cert: Path, key: Path,
                   cache: Path) -> str:
    """deploy/nginx/helpwire-cluster.conf with the test's nodes (host:port) in every upstream,
    each with the options written there (max_fails, fail_timeout), and the test's ports."""
    text = CLUSTER_CONF.read_text()

    def test_nodes(match: re.Match[str]) -> str:
        indent, options = match.group(1), match.group(2) or ""
        return "".join(f"\n{indent}server {node}{options};" for node in nodes)

    text, upstreams = _EXAMPLE_NODES.subn(test_nodes, text)
    assert upstreams == 2, f"deploy/nginx/helpwire-cluster.conf: {upstreams} upstreams, not 2"
    return _listening_and_tls(text, "deploy/nginx/helpwire-cluster.conf", https_port, http_port,
                              cert, key, cache)


@dataclass
class Nginx:
    url: str
    prefix: Path

    @property
    def access_log(self) -> str:
        return (self.prefix / "access.log").read_text()

    async def wait_logged(self, pattern: str, count: int, timeout: float = 10.0) -> list[str]:
        """The access log's lines matching ``pattern`` once there are ``count`` (nginx writes a
        request's line when it ends, and says nothing else; the file is read every 50 ms)."""
        found: list[str] = []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while len(found := re.findall(pattern, self.access_log)) < count:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)  # a file has no event to await
        return found


#: what the fixture's nginx logs: the combined format's request and status, then the node
LOG_FORMAT = ("'$remote_addr [$time_local] \"$request\" $status $body_bytes_sent "
              "upstream=$upstream_addr upstream_status=$upstream_status'")

#: renders the site configuration for (https_port, http_port, cert, key, cache folder)
Site = Callable[[int, int, Path, Path, Path], str]


@asynccontextmanager
async def nginx_in_front_of(upstream: str, prefix: Path) -> AsyncIterator[Nginx]:
    """nginx on a free https port, proxying to ``upstream`` (host:port), stopped afterwards."""
    async with _nginx(prefix, lambda https, http, cert, key, cache: site_config(
            upstream, https, http, cert, key, cache)) as running:
        yield running


@asynccontextmanager
async def nginx_balancing(nodes: Sequence[str], prefix: Path) -> AsyncIterator[Nginx]:
    """nginx with deploy/nginx/helpwire-cluster.conf on a free https port, in front of
    ``nodes`` (host:port each), stopped afterwards."""
    async with _nginx(prefix, lambda https, http, cert, key, cache: cluster_config(
            nodes, https, http, cert, key, cache)) as running:
        yield running


@asynccontextmanager
async def _nginx(prefix: Path, site: Site) -> AsyncIterator[Nginx]:
    if not NGINX.exists():  # a failure that says how, never a skip
        raise AssertionError(INSTALL_HINT)
    prefix.mkdir(parents=True, exist_ok=True)
    cert, key = make_certificate(prefix)
    https_port, http_port = free_port(), free_port()
    (prefix / "helpwire.conf").write_text(site(https_port, http_port, cert, key, prefix / "cache"))
    for folder in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "tmp" / folder).mkdir(parents=True, exist_ok=True)
    tmp = prefix / "tmp"
    # workers run as the test user (nginx drops root to `nobody`, who cannot write the prefix)
    user = f"user {pwd.getpwuid(os.getuid()).pw_name};" if os.getuid() == 0 else ""
    (prefix / "nginx.conf").write_text(f"""
{user}
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    log_format helpwire_test {LOG_FORMAT};
    access_log {prefix}/access.log helpwire_test;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include /etc/nginx/mime.types;
    include {prefix}/helpwire.conf;
}}
""")
    process = await asyncio.create_subprocess_exec(
        str(NGINX), "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log"),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        async with asyncio.timeout(START_SECONDS):
            while True:  # listening once a connection is accepted (bounded, not a sleep)
                if process.returncode is not None:
                    raise AssertionError("nginx exited: " + (prefix / "error.log").read_text())
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", https_port)
                except OSError:
                    await asyncio.sleep(0.05)  # noqa: ASYNC110  (a file has no event to await)
                    continue
                writer.close()
                await writer.wait_closed()
                break
        yield Nginx(f"https://127.0.0.1:{https_port}", prefix)
    finally:
        if process.returncode is None:
            process.terminate()
        async with asyncio.timeout(10):
            await process.wait()
