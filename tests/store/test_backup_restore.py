"""`backup` copies a consistent database while a live server chats; `restore` brings it back,
refusing while a server runs on the data folder unless forced; PostgreSQL points to pg_dump."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.support.chat_load import ChatLoad
from tests.support.server_process import REPO, AgentSpec, ServerProcess, create_agents

CHATS = 6
SETUP_TIMEOUT = 40.0


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", "--config", str(config), *args],
                          cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})


def rows(path: Path, table: str) -> int:
    with sqlite3.connect(path) as db:
        (count,) = db.execute(f"SELECT count(*) FROM {table}").fetchone()
    db.close()
    return int(count)


async def test_backup_during_live_chat_restores_every_committed_case(tmp_path: Path) -> None:
    database = tmp_path / "data" / "helpwire.sqlite3"
    url = f"sqlite+aiosqlite:///{database.as_posix()}"
    specs = await create_agents(url, [AgentSpec(f"agent{i}", CHATS) for i in range(2)])
    server = ServerProcess(tmp_path, url)
    load: ChatLoad | None = None
    backup = tmp_path / "backups" / "helpwire-backup.sqlite3"
    try:
        await server.start()
        load = ChatLoad(server.url)
        await load.connect_agents(specs)
        await load.open_cases(CHATS)
        assert await load.wait_all_joined(SETUP_TIMEOUT) == CHATS, load.ledger.summary()
        load.start_chatting(0.05)
        done = await asyncio.to_thread(cli, server.config_path, "backup", "--to", str(backup))
        assert done.returncode == 0, done.stderr
        assert "backed up" in done.stdout
        refused = await asyncio.to_thread(cli, server.config_path, "restore", "--from", str(backup))
        assert refused.returncode == 1
        assert "a server is running" in refused.stderr and "--force" in refused.stderr
        await load.stop_chatting()
    finally:
        if load is not None:
            await load.close()
        if server.running:
            await server.terminate()

    with sqlite3.connect(backup) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
    assert rows(backup, "cases") == CHATS
    assert rows(backup, "agents") == 2
    live_events = rows(database, "case_events")
    backed_events = rows(backup, "case_events")
    assert 0 < backed_events <= live_events

    database.unlink()
    restored = await asyncio.to_thread(cli, server.config_path, "restore", "--from", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert rows(database, "cases") == CHATS
    assert rows(database, "case_events") == backed_events
    await server.start()  # the restored database serves again
    await server.terminate()


def test_restore_refuses_a_file_that_is_not_a_helpwire_database(tmp_path: Path) -> None:
    config = tmp_path / "helpwire.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n')
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all, but long enough to look like one" * 100)
    done = cli(config, "restore", "--from", str(junk))
    assert done.returncode == 1
    assert "is not an SQLite database" in done.stderr


def test_backup_of_postgresql_says_to_use_pg_dump(tmp_path: Path) -> None:
    config = tmp_path / "helpwire.toml"
    config.write_text('database_url = "postgresql+asyncpg://postgres@127.0.0.1:5432/helpwire"\n'
                      f'data_dir = "{tmp_path / "data"}"\n')
    for args in (("backup", "--to", str(tmp_path / "x")), ("restore", "--from", str(tmp_path / "x"))):
        done = cli(config, *args)
        assert done.returncode == 2
        assert "pg_dump" in done.stderr and "pg_restore" in done.stderr
