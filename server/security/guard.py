"""Every rate limit of the running server, built from ``[security]`` on one clock."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.clock import Clock
from ..settings.security import Network, Rate, SecuritySettings
from .passwords import PasswordChecker
from .ratelimit import ConnectionCounter, LoginThrottle, TokenBucket


@dataclass
class Guard:
    settings: SecuritySettings
    clock: Clock
    proxies: list[Network] = field(init=False)
    help_per_address: TokenBucket = field(init=False)
    help_per_kiosk: TokenBucket = field(init=False)
    sockets_per_address: ConnectionCounter = field(init=False)
    chat_per_socket: TokenBucket = field(init=False)
    typing_per_socket: TokenBucket = field(init=False)
    ingest_per_key: TokenBucket = field(init=False)
    login_per_address: TokenBucket = field(init=False)
    logins: LoginThrottle = field(init=False)
    #: Argon2 checks off the loop, bounded (a component: started and stopped with the app)
    passwords: PasswordChecker = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.proxies = s.proxy_networks()
        self.help_per_address = self._bucket(s.help_per_address, "Help presses from this address")
        self.help_per_kiosk = self._bucket(s.help_per_kiosk, "Help presses from this kiosk")
        self.sockets_per_address = ConnectionCounter(s.max_sockets_per_address, "connections")
        self.chat_per_socket = self._bucket(s.chat_per_socket, "chat messages")
        self.typing_per_socket = self._bucket(s.typing_per_socket, "typing events")
        self.ingest_per_key = self._bucket(s.ingest_per_key, "requests with this key")
        self.login_per_address = self._bucket(s.login_per_address, "sign-in attempts")
        self.logins = LoginThrottle(s.login_failures_before_lockout, s.login_lockout_seconds,
                                    s.login_lockout_max_seconds, self.clock, s.max_tracked_keys)
        self.passwords = PasswordChecker(s.max_concurrent_password_checks,
                                         s.max_waiting_password_checks)

    def _bucket(self, rate: Rate, what: str) -> TokenBucket:
        return TokenBucket(rate.burst, rate.per_seconds, self.clock,
                           self.settings.max_tracked_keys, what)

    def socket_gone(self, sid: str) -> None:
        """A closed socket's buckets are of no more use."""
        self.chat_per_socket.forget(sid)
        self.typing_per_socket.forget(sid)
