"""Requests to URLs that users chose, without letting them reach what the server can reach.

A URL is admitted when its scheme and port are allowed and *every* address its host resolves to is
public; the request then goes to the one address that was checked, with the URL's host name in the
Host header and TLS SNI (and certificate check), so a DNS answer that changes between the check and
the connection (DNS rebinding) changes nothing. Redirects, when a caller allows them, are checked
the same way hop by hop. Time and bytes read are capped. Modelled on Campfire's opengraph
fetch.rb + location.rb.

Refused: loopback, private (RFC 1918, IPv6 ULA), link-local (cloud metadata at 169.254.169.254
included), shared/CGNAT 100.64/10, multicast, reserved, unspecified and documentation ranges, in
IPv4 and IPv6 alike, IPv4 addresses hidden in IPv6 ones (IPv4-mapped, NAT64, 6to4, Teredo), and
the deprecated IPv4-compatible ::/96.
A caller's Policy may admit exact origins or networks (an intranet push service, the tests').
"""

import ipaddress
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_DEFAULT_PORTS = {"http": 80, "https": 443}
_REDIRECTS = {301, 302, 303, 307, 308}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# IPv4-compatible IPv6 addresses (::a.b.c.d), deprecated by RFC 4291 and not in Python's list of
# non-global ranges: some stacks still route them to the IPv4 address they carry.
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


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
    # An answer longer than max_bytes: Failed, or (truncate) its first max_bytes, as a web page
    # whose metadata sits in its head is still worth reading.
    truncate: bool = False

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
    url: str = ""  # the URL that answered: the last hop of any redirects
    truncated: bool = False  # the body is the first policy.max_bytes of a longer one

    @property
    def content_type(self) -> str:
        """The media type without parameters, in lower case ("" when none was sent)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


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
    if address.is_multicast or not address.is_global or address in _IPV4_COMPATIBLE:
        return False
    inner = _embedded_ipv4(address)
    return inner is None or is_public(inner)


# getaddrinfo has no timeout of its own (a name server that never answers holds it for as long as
# the resolver's retries last): a request's lookups run here, and it stops waiting at its deadline.
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="outbound-dns")


def _resolve(host: str, port: int, timeout: float | None) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        if timeout is None:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        else:
            infos = _resolver.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM).result(timeout)
    except TimeoutError:
        raise Failed(f"the host {host} was not resolved within {timeout:g} s") from None
    except (OSError, UnicodeError):
        raise Refused(f"the host {host} could not be resolved") from None
    # An IPv6 answer may carry a zone ("fe80::1%eth0"): the zone is not part of the address.
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def check_url(url: str, policy: Policy, *, timeout: float | None = None) -> Target:
    """The URL's target if the policy admits it, resolved once; else Refused saying why.

    `timeout`: seconds the host name's lookup may take (Failed after); None waits for the resolver.
    """
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
    addresses = _resolve(host, port, timeout)
    if not addresses:
        raise Refused(f"the host {host} has no address")
    if allow_listed:
        return Target(url, scheme, host, port, addresses[0], path)
    for address in addresses:
        # Every answer must pass: the one connected to is picked from the ones checked.
        if not is_public(address) and not any(address in network for network in policy.allowed_networks):
            raise Refused(f"the host {host} resolves to a private or reserved address")
    return Target(url, scheme, host, port, addresses[0], path)


class _Deadline:
    """One request's end: every socket it opens is shut down then, whatever is reading it.

    A socket timeout bounds each read, not their sum: a server sending a few bytes at a time
    (headers or body) kept a request with a 1 s timeout going for as long as it liked (40 s in
    outbound/tests/test_guard.py::test_a_body_trickling_in_is_cut_at_the_deadline before this).
    """

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds
        self._timers: list[threading.Timer] = []

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def watch(self, sock: socket.socket) -> None:
        timer = threading.Timer(max(self.remaining(), 0), _shut_down, (sock,))
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def cancel(self) -> None:
        for timer in self._timers:
            timer.cancel()


def _shut_down(sock: socket.socket) -> None:
    # The plain socket's shutdown, for TLS too: a read blocked on it returns at once. A socket
    # closed meanwhile has no descriptor left (-1), so this cannot reach another connection's.
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


class _Watched:
    """A connection that hands its socket to the request's deadline once connected. (http.client
    closes the connection object when the answer says so and goes on reading through the answer:
    the deadline, not the connection, owns the watch.)"""

    sock: socket.socket | None

    def __init__(self, *args: object, deadline: _Deadline, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        if self.sock is not None:
            self._deadline.watch(self.sock)


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


def _pool(target: Target, policy: Policy, deadline: _Deadline) -> urllib3.HTTPConnectionPool:
    remaining = deadline.remaining()
    timeout = urllib3.Timeout(connect=remaining, read=remaining)
    if target.scheme == "https":
        # Connect to the checked address; verify the certificate, and send SNI, for the URL's host.
        return _HTTPSPool(
            str(target.address),
            target.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=policy.ca_certs,
            deadline=deadline,
        )
    return _HTTPPool(str(target.address), target.port, timeout=timeout, retries=False, maxsize=1, deadline=deadline)


def _read_capped(answer: urllib3.BaseHTTPResponse, policy: Policy, deadline: _Deadline) -> tuple[bytes, bool]:
    """The body, at most policy.max_bytes of it (decoded), and whether it was cut there."""
    chunks, size = [], 0
    for chunk in answer.stream(16 * 1024, decode_content=True):
        if size + len(chunk) > policy.max_bytes:
            if not policy.truncate:
                raise Failed(f"the answer is larger than {policy.max_bytes} bytes")
            chunks.append(chunk[: policy.max_bytes - size])
            return b"".join(chunks), True
        size += len(chunk)
        if deadline.remaining() < 0:
            raise Failed(f"the answer took longer than {policy.timeout:g} s")
        chunks.append(chunk)
    return b"".join(chunks), False


def request(
    method: str, url: str, *, policy: Policy, headers: dict[str, str] | None = None, body: bytes | None = None
) -> Response:
    """Sends one request to a URL the policy admits (Refused otherwise) and reads the answer.

    Every hop's URL is checked and its host resolved once, then connected to at that address.
    Raises Failed when it does not complete within `policy.timeout` (lookups, connections,
    redirects and reading all count) or the answer is too large.
    """
    deadline = _Deadline(policy.timeout)
    try:
        return _request(method, url, policy=policy, headers=headers, body=body, deadline=deadline)
    finally:
        deadline.cancel()


def _request(
    method: str, url: str, *, policy: Policy, headers: dict[str, str] | None, body: bytes | None, deadline: _Deadline
) -> Response:
    for _hop in range(policy.max_redirects + 1):
        target = check_url(url, policy, timeout=max(deadline.remaining(), 0.001))
        if deadline.remaining() <= 0:
            raise Failed(f"no answer within {policy.timeout:g} s")
        pool = _pool(target, policy, deadline)
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
                response = Response(answer.status, {name.lower(): value for name, value in answer.headers.items()})
                location = response.headers.get("location")
                if answer.status in _REDIRECTS and location and policy.max_redirects:
                    url = urljoin(target.url, location)
                    if answer.status == 303:
                        method, body = "GET", None
                    continue
                if policy.content_types is not None and response.content_type not in policy.content_types:
                    return Response(answer.status, response.headers, b"", target.url)
                content, truncated = _read_capped(answer, policy, deadline)
                return Response(answer.status, response.headers, content, target.url, truncated)
            finally:
                answer.release_conn()
        except (urllib3.exceptions.HTTPError, OSError) as error:
            if deadline.remaining() <= 0:
                raise Failed(f"no complete answer within {policy.timeout:g} s") from None
            raise Failed(f"{type(error).__name__}: {error}") from None
        finally:
            pool.close()
    raise Failed(f"more than {policy.max_redirects} redirects")
