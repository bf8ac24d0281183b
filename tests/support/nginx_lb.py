"""Several real server processes (one PostgreSQL, one Redis prefix) behind nginx as the load balancer.

``cluster_behind_nginx`` starts N nodes (`python -m server serve`, tests/support/server_process.py,
so each can be kill -9'd or SIGTERM'd) on the test's PostgreSQL database, emptied first, and on a
Redis key prefix of their own, each with its own node_id and nginx's address as the trusted proxy;
then Debian's nginx with deploy/nginx/helpwire-cluster.conf rendered for their ports
(tests/support/nginx.py). Clients connect to ``cluster.url`` (nginx, https) as browsers would;
which node holds a socket is read from that node's own ``/metrics`` (``helpwire_sockets``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from .nginx import INSTALL_HINT, NGINX, Nginx, nginx_balancing
from .postgres import drop_helpwire_tables, require_postgres
from .redis import delete_prefix, require_redis, unique_prefix
from .server_process import AgentSpec, ServerProcess, create_agents


@dataclass
class Cluster:
    nodes: list[ServerProcess]
    nginx: Nginx
    database_url: str
    key_prefix: str
    agents: list[AgentSpec]

    @property
    def url(self) -> str:
        """Where the clients connect: nginx (https, the test's own certificate)."""
        return self.nginx.url

    async def sockets(self, node: ServerProcess, namespace: str) -> int:
        """How many Socket.IO sockets ``node`` holds on ``namespace`` (its /metrics, asked
        directly, not through nginx); none once its process has exited."""
        if not node.running:
            return 0
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            async with http.get(f"{node.url}/metrics") as response:
                text = await response.text()
        found = re.search(rf'^helpwire_sockets\{{namespace="{re.escape(namespace)}"\}} (\S+)$',
                          text, re.MULTILINE)
        return int(float(found.group(1))) if found else 0

    async def placement(self, namespace: str) -> list[int]:
        """Sockets on ``namespace`` per node, in the order of ``nodes``."""
        return [await self.sockets(node, namespace) for node in self.nodes]


def https_session() -> aiohttp.ClientSession:
    """An HTTP client for nginx's https address (the test certificate is nobody's CA)."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False),
                                 timeout=aiohttp.ClientTimeout(total=10))


@asynccontextmanager
async def cluster_behind_nginx(workdir: Path, nodes: int = 2, *,
                               agents: Sequence[AgentSpec] = (),
                               settings: dict[str, dict[str, Any]] | None = None,
                               ) -> AsyncIterator[Cluster]:
    """``nodes`` servers on one database and Redis prefix, nginx in front; all stopped after.

    ``settings`` are extra settings for every node, by section; ``agents`` are created in the
    (migrated, emptied) database before the nodes start."""
    if not NGINX.exists():
        pytest.fail(INSTALL_HINT, pytrace=False)
    database_url = await require_postgres()
    redis_url = await require_redis()
    await drop_helpwire_tables(database_url)
    specs = await create_agents(database_url, list(agents))  # migrates the empty schema first
    prefix = unique_prefix("nginx-lb")
    extra = settings or {}
    processes = []
    for index in range(nodes):
        cluster = {"redis_url": redis_url, "key_prefix": prefix, "node_id": f"node-{index + 1}",
                   "feed_block_seconds": 0.2, **extra.get("cluster", {})}
        node_settings = {**extra, "cluster": cluster,
                         # nginx (127.0.0.1) is the proxy whose X-Forwarded-For is believed
                         "security": {"trusted_proxies": ["127.0.0.1/32"],
                                      **extra.get("security", {})}}
        processes.append(ServerProcess(workdir / f"node-{index + 1}", database_url,
                                       settings=node_settings))
    try:
        await asyncio.gather(*(process.start() for process in processes))
        async with nginx_balancing([f"127.0.0.1:{p.port}" for p in processes],
                                   workdir / "nginx") as nginx:
            yield Cluster(processes, nginx, database_url, prefix, specs)
    finally:
        await asyncio.gather(*(process.stop() for process in processes))
        await delete_prefix(redis_url, prefix)
