"""The pure domain core: no sockets, no database, no sleeping. Time comes from an injected clock."""
