"""The rate limiter's pieces, on a clock moved by hand: at each limit, one past it, and after."""

from __future__ import annotations

import pytest

from server.core.clock import ManualClock
from server.security.addresses import client_address, pseudonym
from server.security.ratelimit import (
    ConnectionCounter,
    LoginLocked,
    LoginThrottle,
    RateLimited,
    TokenBucket,
)
from server.settings.security import SecuritySettings


def test_a_bucket_takes_its_burst_and_refuses_one_more_saying_when_to_retry() -> None:
    clock = ManualClock()
    bucket = TokenBucket(3, 60, clock, what="Help presses")
    for _ in range(3):
        bucket.take("10.0.0.1")
    with pytest.raises(RateLimited) as refused:
        bucket.take("10.0.0.1")
    assert refused.value.code == "rate_limited"
    assert refused.value.retry_after == 20  # one token back every 60 / 3 s
    assert "at most 3 per 60 s" in refused.value.message


def test_a_bucket_refills_evenly_and_keeps_keys_apart() -> None:
    clock = ManualClock()
    bucket = TokenBucket(2, 10, clock)
    bucket.take("a")
    bucket.take("a")
    bucket.take("b")  # another key has its own bucket
    clock.advance(4.9)
    with pytest.raises(RateLimited) as refused:
        bucket.take("a")
    assert refused.value.retry_after == 1  # 0.1 s left, rounded up to a whole second
    clock.advance(0.1)
    bucket.take("a")
    clock.advance(1000)
    bucket.take("a")
    bucket.take("a")
    with pytest.raises(RateLimited):
        bucket.take("a")  # the bucket never holds more than its burst


def test_a_bucket_forgets_the_least_recently_used_keys_beyond_its_bound() -> None:
    bucket = TokenBucket(1, 60, ManualClock(), max_keys=100)
    for n in range(250):
        bucket.take(f"10.0.{n // 256}.{n % 256}")
    assert len(bucket) == 100


def test_connections_are_counted_up_to_the_limit_and_freed_on_close() -> None:
    counter = ConnectionCounter(2)
    counter.open("a")
    counter.open("a")
    with pytest.raises(RateLimited):
        counter.open("a")
    counter.open("b")
    counter.close("a")
    counter.open("a")
    counter.close("a")
    counter.close("a")
    assert counter.count("a") == 0


def test_a_username_is_locked_after_its_wrong_passwords_and_longer_each_time() -> None:
    clock = ManualClock()
    throttle = LoginThrottle(3, 60, 200, clock)
    for _ in range(2):
        throttle.failed("lisa")
    throttle.check("lisa")  # two wrong: still open
    throttle.failed("lisa")
    with pytest.raises(LoginLocked) as locked:
        throttle.check("lisa")
    assert locked.value.code == "login_locked"
    assert locked.value.retry_after == 60
    throttle.check("omar")
    clock.advance(60)
    throttle.check("lisa")
    for _ in range(3):
        throttle.failed("lisa")
    with pytest.raises(LoginLocked) as again:
        throttle.check("lisa")
    assert again.value.retry_after == 120  # doubled
    clock.advance(120)
    for _ in range(3):
        throttle.failed("lisa")
    with pytest.raises(LoginLocked) as capped:
        throttle.check("lisa")
    assert capped.value.retry_after == 200  # 240, capped at the maximum
    clock.advance(200)
    throttle.succeeded("lisa")
    throttle.failed("lisa")
    throttle.check("lisa")  # a success starts the count again


PROXIES = SecuritySettings(trusted_proxies=["127.0.0.1", "10.1.0.0/16"]).proxy_networks()


@pytest.mark.parametrize(("remote", "forwarded", "client"), [
    ("203.0.113.9", None, "203.0.113.9"),
    # a client that is not a trusted proxy cannot choose its address
    ("203.0.113.9", "198.51.100.1", "203.0.113.9"),
    ("127.0.0.1", "198.51.100.1", "198.51.100.1"),
    # each proxy appends the peer it saw: the first untrusted address from the right
    ("127.0.0.1", "198.51.100.1, 10.1.2.3", "198.51.100.1"),
    ("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.1.2.3", "198.51.100.1"),
    # a garbled entry stops the walk at the last address a trusted proxy vouched for
    ("127.0.0.1", "198.51.100.1, nonsense", "127.0.0.1"),
    ("127.0.0.1", "2001:db8::1", "2001:db8::1"),
    (None, "198.51.100.1", "unknown"),
])
def test_the_client_address_believes_x_forwarded_for_only_from_trusted_proxies(
    remote: str | None, forwarded: str | None, client: str
) -> None:
    assert client_address(remote, forwarded, PROXIES) == client


def test_trusted_proxies_must_be_addresses_or_cidrs() -> None:
    with pytest.raises(ValueError, match="not an address or CIDR"):
        SecuritySettings(trusted_proxies=["proxy.example.com"])


def test_a_pseudonym_is_stable_keyed_and_does_not_contain_the_value() -> None:
    first = pseudonym("secret-a", "198.51.100.1")
    assert first == pseudonym("secret-a", "198.51.100.1")
    assert first != pseudonym("secret-b", "198.51.100.1")
    assert "198" not in first and len(first) == 16
