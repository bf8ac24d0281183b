"""Helpwire: a self-hosted Help button that a human answers within 60 seconds."""

__version__ = "0.1.0"
