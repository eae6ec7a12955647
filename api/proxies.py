"""Which client address to believe: the connection's, or a trusted proxy's word for it.

A request's `X-Forwarded-For` header is written by whoever sends it. Only when the
connection comes from a proxy named in FAMILYFINDER_TRUSTED_PROXIES is it read, from the
right (the hop the trusted proxy added) leftwards, skipping further trusted proxies: the
first address that is not a trusted proxy is the client. Anything to its left was
written by the client and is never believed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_proxies(text: str) -> tuple[Network, ...]:
    """Comma-separated addresses or networks (`127.0.0.1`, `10.0.0.0/8`, `::1`);
    ValueError naming the entry that is neither."""
    networks = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"{entry!r} is not an IP address or network (e.g. 127.0.0.1 or 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class TrustedProxies:
    """The proxies whose `X-Forwarded-For` is believed (none by default)."""

    networks: Sequence[Network] = ()

    def trusts(self, address: str) -> bool:
        parsed = _address(address)
        return parsed is not None and any(parsed in network for network in self.networks)

    def client(self, peer: str, forwarded_for: Iterable[str]) -> str:
        """The client's address, given the connection's `peer` and the request's
        `X-Forwarded-For` headers (in the order received)."""
        if not self.trusts(peer):
            return peer
        hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
        for hop in reversed(hops):
            if _address(hop) is None:
                break  # not an address: the chain cannot be followed past it
            if not self.trusts(hop):
                return hop
        return peer
