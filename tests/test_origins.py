"""Which origins may talk to the server: its own always (directly or behind a proxy), the listed ones, '*'."""

from __future__ import annotations

from server.web.origins import OriginPolicy, own_origins, refusal_message

OWN = own_origins("http", "127.0.0.1:8080")


def test_the_own_origin_is_allowed_whatever_the_list_says() -> None:
    assert OriginPolicy(["https://shop.example.se"]).allows("http://127.0.0.1:8080", OWN)
    assert OriginPolicy([]).allows("http://127.0.0.1:8080", OWN)


def test_a_listed_origin_is_allowed_and_a_trailing_slash_in_the_list_does_not_matter() -> None:
    policy = OriginPolicy(["https://shop.example.se/"])
    assert policy.allows("https://shop.example.se", OWN)
    assert not policy.allows("https://shop.example.se.evil.example", OWN)
    assert not policy.allows("http://shop.example.se", OWN)  # another scheme is another origin


def test_another_port_of_the_same_host_is_another_origin() -> None:
    assert not OriginPolicy([]).allows("http://127.0.0.1:8081", OWN)


def test_a_star_allows_every_origin() -> None:
    assert OriginPolicy(["*"]).allows("https://anything.example", OWN)


def test_a_request_without_origin_is_not_a_cross_origin_browser_request() -> None:
    assert OriginPolicy([]).allows(None, OWN)


def test_behind_a_proxy_the_forwarded_scheme_and_host_are_the_own_origin_too() -> None:
    own = own_origins("http", "127.0.0.1:8080", "https, http", "help.example.se")
    assert own == {"http://127.0.0.1:8080", "https://help.example.se"}
    assert own_origins("http", "127.0.0.1:8080", "https") == {"http://127.0.0.1:8080", "https://127.0.0.1:8080"}
    assert own_origins("http", None) == frozenset()


def test_engineio_environ_form_uses_the_host_header() -> None:
    policy = OriginPolicy(["https://shop.example.se"])
    environ = {"wsgi.url_scheme": "http", "HTTP_HOST": "127.0.0.1:8080"}
    assert policy.allows_environ("http://127.0.0.1:8080", environ)
    assert policy.allows_environ("https://shop.example.se", environ)
    assert not policy.allows_environ("https://evil.example", environ)


def test_the_refusal_names_the_origin_and_the_setting() -> None:
    message = refusal_message("https://evil.example")
    assert "https://evil.example" in message and "cors_allowed_origins" in message
