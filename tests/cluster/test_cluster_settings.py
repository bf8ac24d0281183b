"""The [cluster] section: in memory by default, and its limits at the limit and one past it."""

from __future__ import annotations

import socket

import pytest
from pydantic import ValidationError

from server.settings import load_settings


def test_the_dispatch_state_is_in_memory_unless_a_redis_url_is_set() -> None:
    cluster = load_settings().cluster
    assert (cluster.redis_url, cluster.key_prefix, cluster.redis_timeout_seconds,
            cluster.retry_seconds) == ("", "helpwire", 2.0, 1.0)


def test_the_cluster_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPWIRE_CLUSTER__REDIS_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("HELPWIRE_CLUSTER__KEY_PREFIX", "butik-1")
    cluster = load_settings().cluster
    assert (cluster.redis_url, cluster.key_prefix) == ("redis://127.0.0.1:6379/3", "butik-1")


def test_a_key_prefix_of_64_characters_is_accepted_and_65_refused() -> None:
    assert load_settings(cluster={"key_prefix": "p" * 64}).cluster.key_prefix == "p" * 64
    with pytest.raises(ValidationError, match="key_prefix"):
        load_settings(cluster={"key_prefix": "p" * 65})


@pytest.mark.parametrize("prefix", ["", "has space", "{tag}", "star*"])
def test_a_key_prefix_that_could_break_the_key_layout_is_refused(prefix: str) -> None:
    with pytest.raises(ValidationError, match="key_prefix"):
        load_settings(cluster={"key_prefix": prefix})


@pytest.mark.parametrize("name", ["redis_timeout_seconds", "retry_seconds"])
def test_cluster_waits_of_60_seconds_are_accepted_and_more_refused(name: str) -> None:
    assert getattr(load_settings(cluster={name: 60}).cluster, name) == 60
    with pytest.raises(ValidationError, match=name):
        load_settings(cluster={name: 60.001})
    with pytest.raises(ValidationError, match=name):
        load_settings(cluster={name: 0})


def test_the_feed_and_command_id_settings_have_their_documented_defaults() -> None:
    cluster = load_settings().cluster
    assert (cluster.node_id, cluster.feed_max_entries, cluster.feed_block_seconds,
            cluster.applied_ttl_seconds) == ("", 10_000, 1.0, 300)
    assert cluster.resolved_node_id == socket.gethostname()
    assert load_settings(cluster={"node_id": "butik-1.a"}).cluster.resolved_node_id == "butik-1.a"


@pytest.mark.parametrize(("name", "low", "high", "step"), [
    ("feed_max_entries", 100, 1_000_000, 1),
    ("applied_ttl_seconds", 10, 86_400, 1),
])
def test_feed_length_and_id_memory_are_accepted_at_their_limits_and_refused_one_past(
        name: str, low: int, high: int, step: int) -> None:
    assert getattr(load_settings(cluster={name: low}).cluster, name) == low
    assert getattr(load_settings(cluster={name: high}).cluster, name) == high
    for refused in (low - step, high + step):
        with pytest.raises(ValidationError, match=name):
            load_settings(cluster={name: refused})


def test_a_feed_read_of_30_seconds_is_accepted_and_more_refused() -> None:
    assert load_settings(cluster={"feed_block_seconds": 30}).cluster.feed_block_seconds == 30
    with pytest.raises(ValidationError, match="feed_block_seconds"):
        load_settings(cluster={"feed_block_seconds": 30.001})


def test_a_node_id_of_64_characters_is_accepted_and_65_or_a_colon_refused() -> None:
    assert load_settings(cluster={"node_id": "n" * 64}).cluster.node_id == "n" * 64
    for refused in ("n" * 65, "node:1"):
        with pytest.raises(ValidationError, match="node_id"):
            load_settings(cluster={"node_id": refused})


def test_a_lease_of_five_seconds_renewed_every_second_is_the_default() -> None:
    cluster = load_settings().cluster
    assert (cluster.lease_seconds, cluster.heartbeat_seconds) == (5.0, 1.0)


def test_a_heartbeat_of_a_third_of_the_lease_is_accepted_and_more_refused() -> None:
    cluster = load_settings(cluster={"lease_seconds": 3, "heartbeat_seconds": 1}).cluster
    assert (cluster.lease_seconds, cluster.heartbeat_seconds) == (3, 1)
    with pytest.raises(ValidationError, match="heartbeat_seconds"):
        load_settings(cluster={"lease_seconds": 3, "heartbeat_seconds": 1.001})
