"""Who the client is on the network: the address every per-address limit counts by.

Behind a reverse proxy every request comes from the proxy, and one guesser would lock out the whole centre
(or nobody at all). Addresses listed in `[security] trusted_proxies` are proxies: their X-Forwarded-For is
read from the right, skipping further trusted proxies, and the first address not trusted is the client's.
From anyone else the header is ignored (a client could write anything in it).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from aiohttp import web

from hallops.http.keys import CONFIG

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def _networks(specs: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(s, strict=False) for s in specs)


def _parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def in_networks(address: str | None, specs: list[str] | tuple[str, ...]) -> bool:
    ip = _parse(address or "")
    return ip is not None and any(ip in net for net in _networks(tuple(specs)))


def client_address(request: web.Request) -> str:
    """The client's address as per-address limits should count it."""
    remote = request.remote or "?"
    trusted = tuple(request.app[CONFIG].security.trusted_proxies)
    if not trusted or not in_networks(remote, trusted):
        return remote
    hops = [h for h in ",".join(request.headers.getall("X-Forwarded-For", [])).split(",") if h.strip()]
    for hop in reversed(hops):
        ip = _parse(hop)
        if ip is None:
            return remote  # a garbled header: count the proxy itself rather than guess
        if not in_networks(str(ip), trusted):
            return str(ip)
    return remote
