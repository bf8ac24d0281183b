"""Test support: real servers on ephemeral loopback ports and real Socket.IO clients."""
