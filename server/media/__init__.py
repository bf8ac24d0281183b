"""Voice and video: aiortc peers, the per-case relay, ICE configuration. Never recorded."""
