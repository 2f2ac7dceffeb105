"""core/client_address.py: whom to believe about the client's address."""

from __future__ import annotations

import pytest

from neighbor_api.core.client_address import client_address, parse_networks

PROXIES = parse_networks(["10.0.0.0/8", "192.0.2.1", "2001:db8::/32"])


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "trusted", "expected"),
    [
        pytest.param("203.0.113.5", ["198.51.100.1"], [], "203.0.113.5", id="no-proxies"),
        pytest.param("203.0.113.5", ["198.51.100.1"], PROXIES, "203.0.113.5", id="untrusted-peer"),
        pytest.param("10.0.0.2", ["198.51.100.1"], PROXIES, "198.51.100.1", id="one-proxy"),
        pytest.param(
            "10.0.0.2",
            ["6.6.6.6, 198.51.100.1, 10.9.9.9"],
            PROXIES,
            "198.51.100.1",
            id="rightmost-untrusted",
        ),
        pytest.param(
            "10.0.0.2",
            ["6.6.6.6", "198.51.100.1, 192.0.2.1"],
            PROXIES,
            "198.51.100.1",
            id="several-headers",
        ),
        pytest.param("10.0.0.2", [], PROXIES, "10.0.0.2", id="no-header"),
        pytest.param("10.0.0.2", ["10.1.1.1"], PROXIES, "10.1.1.1", id="all-trusted"),
        pytest.param(
            "10.0.0.2", ["198.51.100.1, not-an-ip"], PROXIES, "10.0.0.2", id="garbage-hop"
        ),
        pytest.param("10.0.0.2", ["198.51.100.1:4711"], PROXIES, "198.51.100.1", id="with-port"),
        pytest.param(
            "2001:db8::7", ["[2001:db9::1]:443"], PROXIES, "2001:db9::1", id="ipv6-with-port"
        ),
        pytest.param("::ffff:10.0.0.2", ["198.51.100.1"], PROXIES, "198.51.100.1", id="mapped"),
        pytest.param(None, ["198.51.100.1"], PROXIES, None, id="no-peer"),
    ],
)
def test_client_address(
    peer: str | None, forwarded_for: list[str], trusted: list[object], expected: str | None
) -> None:
    assert client_address(peer, forwarded_for, PROXIES if trusted else []) == expected


def test_settings_parse_cidrs() -> None:
    from tests.conftest import make_settings

    settings = make_settings(trusted_proxies="10.0.0.0/8, 192.0.2.1")

    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.0/8", "192.0.2.1/32"]
