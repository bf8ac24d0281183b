"""Live insight into a running server: Prometheus metrics, the supervisor view, the report schedule."""

from .wiring import Insights, setup_routes

__all__ = ["Insights", "setup_routes"]
