"""Requests to URLs that users chose, without letting them reach what the server can reach.

A URL is admitted when its scheme and port are allowed and *every* address its host resolves to is
public; the request then goes to the one address that was checked, with the URL's host name in the
Host header and TLS SNI (and certificate check), so a DNS answer that changes between the check and
the connection (DNS rebinding) changes nothing. Redirects, when a caller allows them, are checked
the same way hop by hop. Time and bytes read are capped. Modelled on Campfire's opengraph
fetch.rb + location.rb.

Refused: loopback, private (RFC 1918, IPv6 ULA), link-local (cloud metadata at 169.254.169.254
included), shared/CGNAT 100.64/10, multicast, reserved, unspecified and documentation ranges, in
IPv4 and IPv6 alike, and IPv4 addresses hidden in IPv6 ones (IPv4-mapped, NAT64, 6to4, Teredo).
A caller's Policy may admit exact origins or networks (an intranet push service, the tests').
"""

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import urllib3

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_DEFAULT_PORTS = {"http": 80, "https": 443}
_REDIRECTS = {301, 302, 303, 307, 308}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Refused(Exception):
    """The URL may not be requested; the message says why, fit to show whoever supplied it."""


class Failed(Exception):
    """The request was allowed but did not complete: network error, timeout, answer too large."""


def origin_of(scheme: str, host: str, port: int) -> str:
    host = host.lower().rstrip(".")
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def normalize_origin(origin: str) -> str:
    """`http://127.0.0.1:9911` (or with a path, or no port) as compared against requested URLs."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"not an http(s) origin: {origin!r}")
    return origin_of(parts.scheme, parts.hostname, parts.port or _DEFAULT_PORTS[parts.scheme])


@dataclass(frozen=True)
class Policy:
    """What one kind of request may reach and read. The defaults are push's: https on port 443 to
    public addresses, no redirects, 5 s, a small answer."""

    schemes: frozenset[str] = frozenset({"https"})
    ports: frozenset[int] = frozenset({443})
    # Exact origins admitted whatever their scheme, port and address (PUSH_ENDPOINT_ALLOWLIST).
    allowed_origins: frozenset[str] = frozenset()
    # Networks admitted although not public (an intranet), for the allowed schemes and ports.
    allowed_networks: tuple[IPNetwork, ...] = ()
    max_redirects: int = 0
    timeout: float = 5.0
    max_bytes: int = 64 * 1024
    # Content types (without parameters) an answer may have to be read; None: any.
    content_types: frozenset[str] | None = None
    # A CA bundle trusted besides the system's (an intranet service's private CA); None: the system's.
    ca_certs: str | None = None

    @classmethod
    def with_origins(cls, origins: list[str], **options: object) -> "Policy":
        return cls(allowed_origins=frozenset(normalize_origin(origin) for origin in origins), **options)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Target:
    """A URL that passed the checks, and the address it will be requested from."""

    url: str
    scheme: str
    host: str  # as in the URL: the Host header, SNI and certificate name
    port: int
    address: IPAddress
    path: str  # path and query

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case
    body: bytes = b""


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast, including any IPv4 address an IPv6 one carries."""
    if address.is_multicast or not address.is_global:
        return False
    inner = _embedded_ipv4(address)
    return inner is None or is_public(inner)


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Refused(f"the host {host} could not be resolved") from None
    # An IPv6 answer may carry a zone ("fe80::1%eth0"): the zone is not part of the address.
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def check_url(url: str, policy: Policy) -> Target:
    """The URL's target if the policy admits it, resolved once; else Refused saying why."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("the URL is not valid") from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        raise Refused("the URL must be an absolute http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise Refused("the URL must not contain credentials")
    port = port or _DEFAULT_PORTS[scheme]
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    allow_listed = origin_of(scheme, host, port) in policy.allowed_origins
    # What the URL says is checked before its host is looked up: a refused URL costs no DNS query.
    if not allow_listed and scheme not in policy.schemes:
        raise Refused(f"the URL must use {' or '.join(sorted(policy.schemes))}")
    if not allow_listed and port not in policy.ports:
        raise Refused(f"the URL's port must be {' or '.join(str(p) for p in sorted(policy.ports))}")
    addresses = _resolve(host, port)
    if not addresses:
        raise Refused(f"the host {host} has no address")
    if allow_listed:
        return Target(url, scheme, host, port, addresses[0], path)
    for address in addresses:
        # Every answer must pass: the one connected to is picked from the ones checked.
        if not is_public(address) and not any(address in network for network in policy.allowed_networks):
            raise Refused(f"the host {host} resolves to a private or reserved address")
    return Target(url, scheme, host, port, addresses[0], path)


def _pool(target: Target, policy: Policy, timeout: urllib3.Timeout) -> urllib3.HTTPConnectionPool:
    if target.scheme == "https":
        # Connect to the checked address; verify the certificate, and send SNI, for the URL's host.
        return urllib3.HTTPSConnectionPool(
            str(target.address),
            target.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=policy.ca_certs,
        )
    return urllib3.HTTPConnectionPool(str(target.address), target.port, timeout=timeout, retries=False, maxsize=1)


def _read_capped(answer: urllib3.BaseHTTPResponse, policy: Policy, deadline: float) -> bytes:
    chunks, size = [], 0
    for chunk in answer.stream(16 * 1024, decode_content=True):
        size += len(chunk)
        if size > policy.max_bytes:
            raise Failed(f"the answer is larger than {policy.max_bytes} bytes")
        if time.monotonic() > deadline:
            raise Failed(f"the answer took longer than {policy.timeout:g} s")
        chunks.append(chunk)
    return b"".join(chunks)


def request(
    method: str, url: str, *, policy: Policy, headers: dict[str, str] | None = None, body: bytes | None = None
) -> Response:
    """Sends one request to a URL the policy admits (Refused otherwise) and reads the answer.

    Raises Failed when it does not complete within `policy.timeout` or the answer is too large.
    """
    deadline = time.monotonic() + policy.timeout
    for _hop in range(policy.max_redirects + 1):
        target = check_url(url, policy)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Failed(f"no answer within {policy.timeout:g} s")
        pool = _pool(target, policy, urllib3.Timeout(connect=remaining, read=remaining))
        try:
            answer = pool.urlopen(
                method,
                target.path,
                body=body,
                headers={**(headers or {}), "Host": target.host_header},
                redirect=False,
                preload_content=False,
                assert_same_host=False,
            )
            try:
                response_headers = {name.lower(): value for name, value in answer.headers.items()}
                location = response_headers.get("location")
                if answer.status in _REDIRECTS and location and policy.max_redirects:
                    url = urljoin(target.url, location)
                    if answer.status == 303:
                        method, body = "GET", None
                    continue
                content_type = response_headers.get("content-type", "").split(";")[0].strip().lower()
                if policy.content_types is not None and content_type not in policy.content_types:
                    return Response(answer.status, response_headers, b"")
                return Response(answer.status, response_headers, _read_capped(answer, policy, deadline))
            finally:
                answer.release_conn()
        except urllib3.exceptions.HTTPError as error:
            raise Failed(f"{type(error).__name__}: {error}") from None
        finally:
            pool.close()
    raise Failed(f"more than {policy.max_redirects} redirects")
