"""Socket.IO adapters: one namespace per role. Handlers validate, call the engine, return."""
