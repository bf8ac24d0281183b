"""The running server's moving parts: the hub that executes the engine's effects, the persister."""
