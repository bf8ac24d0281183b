"""HTTP adapters: health, agent sign-in, and the web clients' pages."""
