"""The settings section of abuse protection (``[security]``, docs/security.md).

Every rate is a token bucket: ``*_burst`` presses at once, then one more every
``period / burst`` seconds. One past a limit is refused with ``rate_limited`` and ``retry_after``.
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network

from pydantic import BaseModel, Field, field_validator

Network = IPv4Network | IPv6Network


class Rate(BaseModel):
    """At most ``burst`` events in any ``per_seconds`` (refilled evenly)."""

    model_config = {"extra": "forbid"}

    burst: int = Field(ge=1)
    per_seconds: float = Field(gt=0)


class SecuritySettings(BaseModel):
    """Rate limits, login protection and the proxies whose X-Forwarded-For is believed."""

    model_config = {"extra": "forbid"}

    #: signs case and agent tokens; empty means one is generated once and kept in
    #: <storage.data_dir>/secret.key (server/security/secret_key.py)
    secret_key: str = ""
    #: how long an agent's sign-in token is valid
    agent_token_ttl_seconds: int = Field(12 * 3600, ge=60)
    #: reverse proxies (CIDRs) whose X-Forwarded-For names the client; from anyone else the
    #: header is ignored and the TCP peer is the client. Empty: no proxy is trusted
    trusted_proxies: list[str] = Field(default_factory=list)
    #: Help presses (help_request) per client address, over /customer and /kiosk together
    help_per_address: Rate = Field(default_factory=lambda: Rate(burst=10, per_seconds=60))
    #: Help presses per kiosk id (a kiosk is one screen: one customer at a time)
    help_per_kiosk: Rate = Field(default_factory=lambda: Rate(burst=5, per_seconds=60))
    #: Socket.IO connections open at once from one client address, per namespace (a shop's
    #: NAT may hide a few customers; a store's kiosks sit behind one address: raise it there)
    max_sockets_per_address: int = Field(20, ge=1)
    #: chat lines per socket (customer or agent)
    chat_per_socket: Rate = Field(default_factory=lambda: Rate(burst=20, per_seconds=10))
    #: typing indications per socket
    typing_per_socket: Rate = Field(default_factory=lambda: Rate(burst=20, per_seconds=10))
    #: POST /api/purchases and /api/sessions/* per ingest key
    ingest_per_key: Rate = Field(default_factory=lambda: Rate(burst=200, per_seconds=1))
    #: login attempts per client address (right or wrong)
    login_per_address: Rate = Field(default_factory=lambda: Rate(burst=20, per_seconds=60))
    #: wrong passwords for one username before it is locked for login_lockout_seconds
    login_failures_before_lockout: int = Field(5, ge=1)
    #: how long a username stays locked after too many wrong passwords (doubles for each
    #: further lockout, up to login_lockout_max_seconds)
    login_lockout_seconds: float = Field(60.0, gt=0)
    login_lockout_max_seconds: float = Field(3600.0, gt=0)
    #: password checks (Argon2id: 64 MiB and four threads each, tens of ms) running at once
    max_concurrent_password_checks: int = Field(1, ge=1)
    #: login attempts waiting for a password check at most; one more is refused (rate_limited)
    #: at once rather than queued past http_database_timeout_seconds
    max_waiting_password_checks: int = Field(8, ge=0)
    #: an agent socket is told this long before its token expires (token_expiring), so the
    #: console can refresh it (POST /api/agent/refresh, token_renew); at expiry it is closed
    token_refresh_notice_seconds: float = Field(300.0, ge=0)
    #: most keys (addresses, kiosks, usernames) remembered per limit; the oldest idle ones go
    max_tracked_keys: int = Field(100_000, ge=100)

    @field_validator("trusted_proxies")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            try:
                ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(f"trusted_proxies: {cidr!r} is not an address or CIDR") from None
        return value

    def proxy_networks(self) -> list[Network]:
        return [ip_network(cidr, strict=False) for cidr in self.trusted_proxies]
