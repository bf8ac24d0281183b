"""`python -m server backup --to FILE` and `restore --from FILE` (docs/operations.md, Backups).

SQLite: SQLite's online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot
while the server keeps writing, in a thread so nothing waits on it. PostgreSQL: the database's
own tools (``pg_dump``/``pg_restore``) do it better; the commands say so and exit.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

from .runtime import data_lock
from .settings import Settings

#: pages copied per step: the server's writers get the database between steps
PAGES_PER_STEP = 256
PG_HINT = ("helpwire: the database is PostgreSQL: back up with "
           "`pg_dump --format=custom --file=helpwire.dump DBNAME` and restore with "
           "`pg_restore --clean --if-exists --dbname=DBNAME helpwire.dump` (docs/operations.md)")


def sqlite_path(settings: Settings) -> Path | None:
    """The SQLite file the settings use, or None for another database."""
    url = make_url(settings.storage.resolved_database_url)
    if not url.drivername.startswith("sqlite") or not url.database:
        return None
    return Path(url.database)


def copy_database(source: Path, target: Path) -> int:
    """Copy one SQLite database into another with the online backup API; the pages copied."""
    pages = 0

    def progress(status: int, remaining: int, total: int) -> None:
        nonlocal pages
        pages = total

    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst, pages=PAGES_PER_STEP, progress=progress)
    src.close()
    dst.close()
    return pages


def check_backup(path: Path) -> str | None:
    """Why ``path`` is not a Helpwire database (None when it is one that SQLite finds intact)."""
    if not path.is_file():
        return f"{path} does not exist"
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            (verdict,) = db.execute("PRAGMA integrity_check").fetchone()
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        db.close()
    except sqlite3.DatabaseError as error:
        return f"{path} is not an SQLite database ({error})"
    if verdict != "ok":
        return f"{path} is damaged: {verdict}"
    if "alembic_version" not in tables:
        return f"{path} is not a Helpwire database (no alembic_version table)"
    return None


def _backup_problem(source: Path, target: Path) -> str | None:
    if not source.is_file():
        return f"there is no database at {source} yet"
    if target.exists():
        return f"{target} exists; choose a new file"
    target.parent.mkdir(parents=True, exist_ok=True)
    return None


async def _backup(args: argparse.Namespace, settings: Settings) -> int:
    source = sqlite_path(settings)
    if source is None:
        print(PG_HINT, file=sys.stderr)
        return 2
    target: Path = args.to
    problem = await asyncio.to_thread(_backup_problem, source, target)
    if problem is not None:
        print(f"helpwire: {problem}", file=sys.stderr)
        return 1
    pages = await asyncio.to_thread(copy_database, source, target)
    print(f"backed up {source} to {target} ({pages} pages)")
    return 0


async def _restore(args: argparse.Namespace, settings: Settings) -> int:
    target = sqlite_path(settings)
    if target is None:
        print(PG_HINT, file=sys.stderr)
        return 2
    source: Path = args.source
    problem = await asyncio.to_thread(check_backup, source)
    if problem is not None:
        print(f"helpwire: {problem}", file=sys.stderr)
        return 1
    with data_lock.exclusive(settings.storage.data_dir) as no_server:
        if not no_server and not args.force:
            print(f"helpwire: a server is running on {settings.storage.data_dir}; stop it first "
                  "(restoring under it would mix its writes with the backup), or give --force",
                  file=sys.stderr)
            return 1
        await asyncio.to_thread(copy_database, source, target)
    print(f"restored {target} from {source}; start the server to upgrade it if it is older")
    return 0


def add_commands(commands: argparse._SubParsersAction,  # type: ignore[type-arg]
                 settings: Callable[[argparse.Namespace], Settings]) -> None:
    """Register backup and restore on the main parser."""
    backup = commands.add_parser("backup", help="copy the SQLite database while the server runs")
    backup.add_argument("--to", type=Path, required=True, help="the backup file to create")
    backup.set_defaults(func=lambda a: asyncio.run(_backup(a, settings(a))))

    restore = commands.add_parser("restore", help="replace the SQLite database by a backup")
    restore.add_argument("--from", dest="source", type=Path, required=True, help="the backup file")
    restore.add_argument("--force", action="store_true",
                         help="restore even while a server runs on the data folder (not advised)")
    restore.set_defaults(func=lambda a: asyncio.run(_restore(a, settings(a))))
