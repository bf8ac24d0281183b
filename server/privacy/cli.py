"""`python -m server privacy erase|export|purge`: a person's data on request, retention by hand."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

from ..core.clock import SystemClock
from ..logs import configure_logging
from ..settings import Settings
from ..store.privacy import Selector


def _time(value: str) -> float:
    """An ISO 8601 time (a zone is required, e.g. 2026-12-01T10:00+01:00) or epoch seconds."""
    try:
        return float(value)
    except ValueError:
        pass
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} has no time zone; add e.g. +01:00 or Z")
    return moment.timestamp()


def _selector(args: argparse.Namespace) -> Selector:
    return Selector(case_id=args.case, session_id=args.session, kiosk_id=args.kiosk,
                    visitor_id=args.visitor, phone=args.phone, since=args.since, until=args.until)


async def _erase(args: argparse.Namespace, settings: Settings) -> int:
    from ..store import Database
    from .operations import Actor, LiveCasesRunning, PrivacyOperations

    try:
        selector = _selector(args)
    except ValueError as error:
        print(f"helpwire: {error}", file=sys.stderr)
        return 2
    database = Database.of(settings.storage)
    await database.start()
    try:
        operations = PrivacyOperations(database, SystemClock())
        try:
            erased = await operations.erase(selector, Actor("operator"), args.reason,
                                            server_stopped=args.server_stopped)
        except LiveCasesRunning as error:
            print(f"helpwire: {error}; erase them through the running server"
                  " (POST /api/admin/privacy/erase, docs/protocol.md) so they are ended first,"
                  " or stop the server and add --server-stopped", file=sys.stderr)
            return 3
    finally:
        await database.close()
    if erased.ended:
        print(f"ended {len(erased.ended)} live cases (reason erasure_requested)")
    if not erased.changed:
        print("nothing to erase: no stored row matches (or it was erased already)")
    for table, count in erased.changed.items():
        print(f"  {table}: {count} rows anonymised or deleted")
    return 0


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    from ..store import Database
    from .operations import Actor, PrivacyOperations

    try:
        selector = _selector(args)
    except ValueError as error:
        print(f"helpwire: {error}", file=sys.stderr)
        return 2
    database = Database.of(settings.storage)
    await database.start()
    try:
        document = await PrivacyOperations(database, SystemClock()).export(
            selector, Actor("operator"), args.reason)
    finally:
        await database.close()
    text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True)
    if args.out is None:
        print(text)
    else:
        args.out.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.out}: {len(document['cases'])} cases,"
              f" {len(document['purchases'])} purchases", file=sys.stderr)
    return 0


async def _purge(args: argparse.Namespace, settings: Settings) -> int:
    from ..security.secret_key import secret_key
    from ..store import Database
    from .purge import RetentionPurge, pseudonym_key

    database = Database.of(settings.storage)
    await database.start()
    try:
        key = pseudonym_key(secret_key(settings.security, settings.storage.data_dir))
        changed = await RetentionPurge(database, settings.privacy, SystemClock(), key).purge_once()
    finally:
        await database.close()
    print(f"purged {sum(changed.values())} rows past their retention")
    for table, count in changed.items():
        print(f"  {table}: {count}")
    return 0


def _selectors(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--case", help="a case id")
    which.add_argument("--session", help="a shop session id")
    which.add_argument("--kiosk", help="a kiosk id (narrow it with --since/--until)")
    which.add_argument("--visitor", help="a visitor id (the id A/B exposures were reported under)")
    which.add_argument("--phone", help="the phone number of a callback request, as given")
    parser.add_argument("--since", type=_time, help="with --kiosk: from this time (ISO 8601)")
    parser.add_argument("--until", type=_time, help="with --kiosk: before this time (ISO 8601)")
    parser.add_argument("--reason", help="why (e.g. the request's ticket number); kept in the"
                                         " access log")


def _run(command: Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]],
         settings_of: Callable[[argparse.Namespace], Settings]) -> Callable[[argparse.Namespace], int]:
    """Run a command with the server's log configuration (JSON on stderr: stdout is the output)."""

    def run(args: argparse.Namespace) -> int:
        settings = settings_of(args)
        configure_logging(settings.log.level, settings.log.json_lines)
        return asyncio.run(command(args, settings))

    return run


def add_commands(
    commands: argparse._SubParsersAction,  # type: ignore[type-arg]
    settings_of: Callable[[argparse.Namespace], Settings],
) -> None:
    privacy = commands.add_parser("privacy", help="erase or export one person's data, purge")
    actions = privacy.add_subparsers(dest="privacy_command", metavar="ACTION", required=True)

    erase = actions.add_parser("erase", help="erase one person's data in every table (art. 17)")
    _selectors(erase)
    erase.add_argument("--server-stopped", action="store_true",
                       help="the server is not running: close matching live cases here")
    erase.set_defaults(func=_run(_erase, settings_of))

    export = actions.add_parser("export", help="write everything stored about one person (art. 15)")
    _selectors(export)
    export.add_argument("--out", type=Path, help="write the JSON here (default: standard output)")
    export.set_defaults(func=_run(_export, settings_of))

    purge = actions.add_parser("purge", help="anonymise or delete what is past its retention now")
    purge.set_defaults(func=_run(_purge, settings_of))
