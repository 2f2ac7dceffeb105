"""The client's address: the one rule for who is asking (rate limits, logs).

The peer of the TCP connection is the client, unless it is one of the configured trusted
proxies (`NEIGHBOR_TRUSTED_PROXIES`, none by default): then `X-Forwarded-For` is read from the
right (each proxy appends the address it saw) and the first hop that is not a trusted proxy is
the client. Whatever a client writes into the header itself sits to the left of that and is
never believed. uvicorn's own proxy-header handling is off (`cli.py`), so the peer seen here
is the real one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Sequence[str]) -> list[IPNetwork]:
    """CIDRs or single addresses (`10.0.0.0/8`, `192.0.2.7`); raises ValueError on others."""
    return [ipaddress.ip_network(value.strip(), strict=False) for value in values]


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.split(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted: Sequence[IPNetwork]
) -> bool:
    return any(address.version == network.version and address in network for network in trusted)


def client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[IPNetwork]
) -> str | None:
    """The client's address, from the connection's `peer` and the `X-Forwarded-For` header
    values (all of them, in order). A malformed hop ends the walk at the last trusted one."""
    if peer is None or not trusted:  # no proxy trusted: the peer, as it is
        return peer
    current = _address(peer)
    if current is None or not _trusted(current, trusted):
        return peer
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        current = address
        if not _trusted(address, trusted):
            break
    return str(current)
