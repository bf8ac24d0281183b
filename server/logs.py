"""Structured logging. Messages are fixed event names; tokens, SDP, names and texts never go in.

Helpwire's own lines come from structlog. The libraries underneath (aiohttp, python-engineio,
python-socketio, asyncio) log through the standard library; their records are rendered by the
same processors into the same JSON (or console) shape on the same stream, with `logger` naming
where they came from, so an operator reads and ships one format.
"""

from __future__ import annotations

import logging
import sys

import structlog

#: libraries whose info lines are per request or per packet, with addresses in them
QUIET_LOGGERS = ("aiohttp.access", "aioice", "aiortc")


class _CurrentStderr:
    """Whatever `sys.stderr` is when a line is written, not when logging was configured.

    A stream captured at configure time outlives its owner (a test runner's capture, a daemon's
    redirect) and the next line raises "I/O operation on closed file".
    """

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


_STDERR = _CurrentStderr()


def _shared_processors() -> list[structlog.types.Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _renderer(json: bool) -> structlog.types.Processor:
    return (structlog.processors.JSONRenderer() if json
            else structlog.dev.ConsoleRenderer(colors=False))


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    structlog.configure(
        processors=[
            *_shared_processors(),
            structlog.processors.format_exc_info,
            _renderer(json),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=_STDERR),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(_STDERR)
    handler.setFormatter(library_formatter(json))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_helpwire", False)]:
        root.removeHandler(old)
    handler._helpwire = True  # type: ignore[attr-defined]  # replaced, not stacked, on reconfigure
    root.addHandler(handler)
    root.setLevel(level)
    # the access log repeats every request (and its query string), ICE logs every candidate
    # pair (addresses): warnings and errors only
    for chatty in QUIET_LOGGERS:
        logging.getLogger(chatty).setLevel(logging.WARNING)


def library_formatter(json: bool = True) -> logging.Formatter:
    """The formatter that renders a standard-library record as one of Helpwire's lines."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_shared_processors(), structlog.stdlib.add_logger_name],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _renderer(json),
        ],
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
