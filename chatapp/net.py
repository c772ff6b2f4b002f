"""Which address a request really comes from."""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest


@lru_cache(maxsize=1)
def _trusted_networks(raw: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in raw)


def _is_trusted(address: str) -> bool:
    networks = _trusted_networks(tuple(settings.TRUSTED_PROXIES))
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, unless it is a trusted proxy: then the nearest untrusted X-Forwarded-For hop.

    X-Forwarded-For is read right to left because only the entries appended by our own proxies
    can be believed; anything to their left is whatever the client chose to send.
    """
    return client_ip_of(request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", ""))


def client_ip_of(remote: str, forwarded: str) -> str:
    """`client_ip` from a peer address and an X-Forwarded-For value (a WebSocket's ASGI scope)."""
    # Daphne leaves REMOTE_ADDR out when it has no peer address (a UNIX socket behind a proxy);
    # the rate limiter needs an IP to mask, so such requests share one bucket instead of a 500.
    remote = remote or "0.0.0.0"
    if not _is_trusted(remote):
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote
    return remote


def is_trusted_proxy(address: str) -> bool:
    """Whether `address` is one of TRUSTED_PROXIES (an address or a network)."""
    return _is_trusted(address)
