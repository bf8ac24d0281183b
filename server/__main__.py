"""Command line: `python -m server serve|create-agent|check-rules|report|demo-data|privacy` (see --help)."""

# ruff: noqa: E402  (the signal handlers are installed before the slow imports)

from __future__ import annotations

import signal
import sys


def _exit_quietly(signum: int, frame: object) -> None:
    """SIGTERM or SIGINT before the event loop runs (imports, settings): nothing to save yet."""
    raise SystemExit(0)


if __name__ == "__main__":  # first of all: the imports below take seconds on a busy machine
    signal.signal(signal.SIGTERM, _exit_quietly)
    signal.signal(signal.SIGINT, _exit_quietly)

import argparse
import asyncio
import getpass
import os
import tomllib
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web
from pydantic import ValidationError

from .core.routing import RulesError, RuleSet, load_rules
from .logs import configure_logging
from .settings import Settings, load_settings


def _settings(args: argparse.Namespace, *, serving: bool = False) -> Settings:
    """The settings of a command; old setting names are warned about on stderr (a server logs
    them as setting_renamed instead, so that its stderr stays one JSON object per line)."""
    network: dict[str, object] = {}
    if getattr(args, "port", None) is not None:
        network["port"] = args.port
    if getattr(args, "host", None) is not None:
        network["host"] = args.host
    settings = load_settings(args.config, **({"network": network} if network else {}))
    if not serving:
        from .config_cli import warning_text

        for renamed in settings.renamed:
            print(f"helpwire: {warning_text(renamed)}", file=sys.stderr)
    return settings


def _serve(args: argparse.Namespace) -> int:
    settings = _settings(args, serving=True)
    configure_logging(settings.log.level, settings.log.json_lines)
    try:
        rules = load_rules(Path(settings.rules_file))
    except RulesError as error:
        print(f"helpwire: {error}", file=sys.stderr)
        print("helpwire: fix the rules file (see docs/rules.md) and start again", file=sys.stderr)
        return 2
    from .runtime.data_lock import serving
    from .runtime.tuning import new_event_loop

    loop = new_event_loop(settings.runtime.event_loop)
    try:
        with serving(settings.storage.data_dir):  # `restore` refuses while a server holds this
            return loop.run_until_complete(_serve_until_stopped(settings, rules, demo=args.demo))
    finally:
        _close_loop(loop)


async def _serve_until_stopped(settings: Settings, rules: RuleSet, *, demo: bool) -> int:
    """Serve until SIGTERM or SIGINT, then shut down in order (clients told, database last);
    a node of a cluster (``[cluster] redis_url``) drains first (server/runtime/drain.py).

    A signal only sets an event: start-up (migrations, demo agents) is never cancelled halfway,
    which left a half-used database behind and printed the driver's CancelledError. A signal
    during start-up stops the server as soon as it is up.
    """
    from .app import create_app

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    stopping = (signal.SIGTERM, signal.SIGINT)
    for signum in stopping:
        loop.add_signal_handler(signum, stop.set)
    try:
        if demo:
            await _ensure_demo_agents(settings)
            settings = settings.model_copy(update={"demo": True})
            print("demo mode: the demo shop reports purchases with a per-process key"
                  " (GET /api/demo/ingest-key); never use --demo on a public server", flush=True)
        app = create_app(settings, rules=rules)
        runner = web.AppRunner(app, handle_signals=False,
                               shutdown_timeout=settings.network.shutdown_seconds)
        try:
            # inside the try: when a component fails to start, those already running are stopped
            await runner.setup()
            site = web.TCPSite(runner, settings.network.host, settings.network.port)
            await site.start()
            port = _bound_port(site, settings.network.port)
            print(f"Helpwire is serving on http://{settings.network.host}:{port}/", flush=True)
            print("  shop: /   kiosk: /kiosk   agent console: /agent", flush=True)
            await stop.wait()
            if settings.cluster.redis_url:
                # a node of a cluster drains first (server/runtime/drain.py); a second signal
                # cuts the drain short
                stop.clear()
                await _drain(app, stop)
        finally:
            await runner.cleanup()
    finally:
        for signum in stopping:
            loop.remove_signal_handler(signum)
    return 0


async def _drain(app: web.Application, interrupted: asyncio.Event) -> None:
    """Drain this node (still listening: /healthz says draining, handshakes are refused)."""
    from .web.keys import SERVICES

    services = app.get(SERVICES)
    if services is None:  # the signal came before start-up had wired anything
        return
    left = await services.drain.run(interrupted)
    if left and services.membership is not None:
        # the cases still open go to a remaining node now, not when the lease runs out
        await services.membership.hand_over()


def _bound_port(site: web.TCPSite, configured: int) -> int:
    """The port really listened on (``--port 0`` picks a free one)."""
    server = site._server
    sockets = getattr(server, "sockets", None) or ()
    for sock in sockets:
        return int(sock.getsockname()[1])
    return configured


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Let what is left (handlers of the last requests, the driver's threads) end, then close."""
    try:
        left = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in left:
            task.cancel()
        if left:
            loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        for task in left:
            if not task.cancelled() and task.exception() is not None:
                loop.call_exception_handler({"message": "task failed during shutdown",
                                             "exception": task.exception(), "task": task})
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()


DEMO_AGENTS = (
    # (username, display name, skills, languages, roles)
    ("lisa", "Lisa", ("payments", "oncall"), ("sv", "en"), ("supervisor", "admin")),
    ("omar", "Omar", (), ("sv", "en"), ()),
)
DEMO_PASSWORD = "helpwire-demo"


async def _ensure_demo_agents(settings: Settings) -> None:
    """On a fresh install, create two demo agents so the console can be tried at once."""
    from .security.passwords import hash_password
    from .store import AgentRepository, Database

    database = Database.of(settings.storage)
    await database.start()
    try:
        agents = AgentRepository(database)
        if await agents.all():
            return
        for username, name, skills, languages, roles in DEMO_AGENTS:
            await agents.create(
                username=username, display_name=name, roles=roles,
                password_hash=await asyncio.to_thread(hash_password, DEMO_PASSWORD),
                skills=skills, languages=languages,
                max_concurrent=settings.default_max_concurrent_cases,
            )
        # the password itself is not printed (terminals and logs are kept): it is in the README
        print("demo agents created: lisa (also supervisor and admin) and omar, with the demo"
              " password from README.md (for trying Helpwire only; use create-agent for real"
              " agents)", flush=True)
    finally:
        await database.close()


async def _create_agent(args: argparse.Namespace) -> int:
    from .security.passwords import hash_password
    from .store import AgentExists, AgentRepository, Database

    settings = _settings(args)
    password = args.password or os.environ.get("HELPWIRE_AGENT_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            print("helpwire: give --password or HELPWIRE_AGENT_PASSWORD", file=sys.stderr)
            return 2
        password = getpass.getpass(f"Password for {args.username}: ")
    if len(password) < 8:
        print("helpwire: the password must have at least 8 characters", file=sys.stderr)
        return 2
    database = Database.of(settings.storage)
    await database.start()
    try:
        agent = await AgentRepository(database).create(
            username=args.username,
            display_name=args.display_name or args.username,
            password_hash=await asyncio.to_thread(hash_password, password),
            skills=frozenset(args.skill),
            languages=frozenset(args.language),
            max_concurrent=args.max_concurrent or settings.default_max_concurrent_cases,
            roles=frozenset(args.role),
        )
    except AgentExists as error:
        print(f"helpwire: {error.message}", file=sys.stderr)
        return 1
    finally:
        await database.close()
    print(f"created agent {agent.username} ({agent.id})")
    return 0


async def _reset_password(args: argparse.Namespace) -> int:
    """A new password for an agent; every token issued before is revoked (a running server
    refuses them at the next connect, token_renew or refresh)."""
    from .security.passwords import hash_password
    from .store import AgentRepository, Database

    settings = _settings(args)
    password = args.password or os.environ.get("HELPWIRE_AGENT_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            print("helpwire: give --password or HELPWIRE_AGENT_PASSWORD", file=sys.stderr)
            return 2
        password = getpass.getpass(f"New password for {args.username}: ")
    if len(password) < 8:
        print("helpwire: the password must have at least 8 characters", file=sys.stderr)
        return 2
    database = Database.of(settings.storage)
    await database.start()
    try:
        repository = AgentRepository(database)
        agent = await repository.by_username(args.username)
        if agent is None:
            print(f"helpwire: no agent with username {args.username!r}", file=sys.stderr)
            return 1
        await repository.set_password_hash(agent.id, await asyncio.to_thread(hash_password,
                                                                             password))
    finally:
        await database.close()
    print(f"new password set for {agent.username}; their earlier sessions are signed out")
    return 0


def _check_rules(args: argparse.Namespace) -> int:
    settings = _settings(args)
    path = Path(args.rules or settings.rules_file)
    try:
        rules = load_rules(path)
    except RulesError as error:
        print(f"helpwire: {error}", file=sys.stderr)
        return 2
    print(f"{path}: {len(rules.rules)} rules, {len(rules.queues)} queues, all valid")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m server",
        description=(
            "Helpwire: a self-hosted Help button answered by a human within 60 s. "
            "Settings come from --config (TOML), then HELPWIRE_* environment variables; "
            "see docs/operations.md."
        ),
    )
    parser.add_argument("--config", type=Path, default=_env_path("HELPWIRE_CONFIG"),
                        help="TOML settings file (default: $HELPWIRE_CONFIG, else none)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the server (the default command)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=_env_int("PORT"),
                       help="port to listen on (default $PORT, else 8080)")
    serve.add_argument("--demo", action="store_true",
                       help="on an empty database, create demo agents lisa and omar")
    serve.set_defaults(func=_serve)

    agent = commands.add_parser("create-agent", help="create an agent who can sign in")
    agent.add_argument("username")
    agent.add_argument("--display-name", help="the name customers see, e.g. Lisa")
    agent.add_argument("--password", help="at least 8 characters (or $HELPWIRE_AGENT_PASSWORD)")
    agent.add_argument("--skill", action="append", default=[],
                       help="a skill, e.g. payments or oncall (repeatable)")
    agent.add_argument("--language", action="append", default=[], choices=["sv", "en"],
                       help="a language served (repeatable; none means any)")
    agent.add_argument("--max-concurrent", type=int, help="cases at once (default 3)")
    agent.add_argument("--role", action="append", default=[], choices=["supervisor", "admin"],
                       help="supervisor: may open /supervisor; admin: may open /admin"
                            " (repeatable)")
    agent.set_defaults(func=lambda a: asyncio.run(_create_agent(a)))

    reset = commands.add_parser("reset-password",
                                help="give an agent a new password and sign out their sessions")
    reset.add_argument("username")
    reset.add_argument("--password", help="at least 8 characters (or $HELPWIRE_AGENT_PASSWORD)")
    reset.set_defaults(func=lambda a: asyncio.run(_reset_password(a)))

    check = commands.add_parser("check-rules", help="validate a routing rules file and exit")
    check.add_argument("rules", nargs="?", help="rules file (default: the configured one)")
    check.set_defaults(func=_check_rules)

    from .report.cli import add_commands

    add_commands(commands, _settings)
    from . import backup

    backup.add_commands(commands, _settings)
    from . import config_cli

    config_cli.add_commands(commands)
    from .privacy.cli import add_commands as add_privacy_commands

    add_privacy_commands(commands, _settings)
    return parser


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args([*(argv or sys.argv[1:]), "serve"])
    if args.func is not _serve and signal.getsignal(signal.SIGTERM) is _exit_quietly:
        # only serve stops in order by itself; the other commands keep the usual signals
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        result: int = args.func(args)
    except (ValidationError, FileNotFoundError) as error:
        print(f"helpwire: configuration error: {error}", file=sys.stderr)
        return 2
    except tomllib.TOMLDecodeError as error:
        print(f"helpwire: configuration error: {args.config}: {error}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
