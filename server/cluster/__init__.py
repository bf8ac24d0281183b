"""Running as several nodes: the dispatch state they share (Redis) and how a node reaches it.

``port`` is the asynchronous form of the dispatch-state commands (core/state.py), ``redis_dispatch``
its Redis implementation (one Lua script per command), ``replica`` the node's synchronous view
that the pure engine reads, whose commands are written through to the shared state by the hub.
"""
