"""Benchmarks: scripts that print figures and ratios against baselines measured in the same run.

Not tests. Each has a `--smoke` mode that CI runs (via a test) to keep it working.
"""


#: every benchmark client comes from 127.0.0.1: lift the per-address and per-socket rate limits
#: (docs/security.md), which would otherwise refuse the load being measured
LOAD_TEST_SECURITY = {
    **{name: {"burst": 1_000_000, "per_seconds": 1}
       for name in ("help_per_address", "help_per_kiosk", "chat_per_socket", "typing_per_socket",
                    "ingest_per_key", "login_per_address")},
    "max_sockets_per_address": 1_000_000,
}
