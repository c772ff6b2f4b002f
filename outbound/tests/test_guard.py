import ipaddress
import threading
import time

import pytest

from outbound import Failed, Policy, Refused, check_url, guard, request
from outbound.tests.servers import Answer, RecordingServer
from outbound.tests.tls import make_tls


@pytest.fixture
def servers():
    started: list[RecordingServer] = []

    def start(answer=None, **options) -> RecordingServer:
        server = RecordingServer(answer, **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://93.184.215.14/push", "must use https"),
        ("https://127.0.0.1/push", "private or reserved"),
        ("https://localhost/push", "private or reserved"),  # a host name that resolves to loopback
        ("https://169.254.169.254/latest/meta-data/", "private or reserved"),  # cloud metadata
        ("https://10.1.2.3/", "private or reserved"),
        ("https://172.16.0.1/", "private or reserved"),
        ("https://192.168.1.1/", "private or reserved"),
        ("https://100.64.0.1/", "private or reserved"),  # CGNAT
        ("https://0.0.0.0/", "private or reserved"),
        ("https://224.0.0.1/", "private or reserved"),  # multicast
        ("https://240.0.0.1/", "private or reserved"),  # reserved
        ("https://[::1]/", "private or reserved"),
        ("https://[::]/", "private or reserved"),
        ("https://[fd00::1]/", "private or reserved"),  # ULA
        ("https://[fe80::1]/", "private or reserved"),
        ("https://[ff02::1]/", "private or reserved"),
        ("https://[::ffff:127.0.0.1]/", "private or reserved"),  # IPv4-mapped
        ("https://[::ffff:169.254.169.254]/", "private or reserved"),
        ("https://[64:ff9b::a9fe:a9fe]/", "private or reserved"),  # NAT64 of 169.254.169.254
        ("https://[2002:7f00:1::]/", "private or reserved"),  # 6to4 of 127.0.0.1
        ("https://user:secret@93.184.215.14/", "must not contain credentials"),
        ("https://93.184.215.14:8443/", "port must be 443"),
        ("ftp://93.184.215.14/", r"absolute http\(s\) URL"),
        ("/relative/path", r"absolute http\(s\) URL"),
        ("https://93.184.215.14:99999/", "not valid"),
    ],
)
def test_urls_that_reach_private_reserved_or_odd_targets_are_refused(url, reason):
    with pytest.raises(Refused, match=reason):
        check_url(url, Policy())


@pytest.mark.parametrize(
    "url",
    [
        "https://2130706433/",  # 127.0.0.1 as one decimal number
        "https://0x7f000001/",
        "https://127.1/",
        "https://0177.0.0.1/",  # octal
        "https://[::127.0.0.1]/",  # IPv4-compatible (deprecated) form
        "https://[0:0:0:0:0:ffff:7f00:1]/",  # IPv4-mapped, spelled out
        "https://LOCALHOST./",
    ],
)
def test_other_spellings_of_loopback_are_refused_by_the_address_they_resolve_to(url):
    with pytest.raises(Refused, match="private or reserved"):
        check_url(url, Policy())


def test_a_public_address_is_admitted_and_pinned():
    target = check_url("https://93.184.215.14/push/abc?x=1", Policy())
    assert (target.address, target.port, target.path) == (ipaddress.ip_address("93.184.215.14"), 443, "/push/abc?x=1")
    assert check_url("https://[2606:4700::1111]/", Policy()).host_header == "[2606:4700::1111]"


def test_allowed_networks_admit_an_intranet_range_and_nothing_else():
    policy = Policy(allowed_networks=(ipaddress.ip_network("10.0.0.0/8"),))
    assert str(check_url("https://10.1.2.3/", policy).address) == "10.1.2.3"
    with pytest.raises(Refused):
        check_url("https://192.168.1.1/", policy)


def test_an_allow_listed_origin_is_reached_with_its_host_header(servers):
    service = servers()
    policy = Policy.with_origins([service.origin()])

    answer = request("POST", f"{service.origin()}/push/1", policy=policy, headers={"TTL": "60"}, body=b"hello")

    assert answer.status == 201
    received = service.next()
    assert (received.method, received.path, received.body) == ("POST", "/push/1", b"hello")
    assert received.headers["host"] == f"127.0.0.1:{service.port}"
    assert received.headers["ttl"] == "60"


def test_loopback_that_is_not_allow_listed_is_refused_and_receives_nothing(servers):
    allowed, forbidden = servers(), servers()
    policy = Policy.with_origins([allowed.origin()])

    with pytest.raises(Refused, match="must use https"):
        request("POST", f"{forbidden.origin()}/push", policy=policy, body=b"x")
    with pytest.raises(Refused, match="private or reserved"):
        request("POST", f"https://127.0.0.1:{forbidden.port}/push", policy=Policy(ports=frozenset({forbidden.port})))

    request("POST", f"{allowed.origin()}/ok", policy=policy)  # then the allowed one: a marker
    assert allowed.next().path == "/ok"
    assert forbidden.got_nothing()


def test_redirects_are_not_followed_unless_allowed_and_each_hop_is_checked(servers):
    forbidden = servers()
    redirecting = servers(lambda r: Answer(302, headers={"Location": f"{forbidden.origin()}/internal"}))
    policy = Policy.with_origins([redirecting.origin()])

    assert request("GET", f"{redirecting.origin()}/a", policy=policy).status == 302
    following = Policy.with_origins([redirecting.origin()], max_redirects=3)
    with pytest.raises(Refused):
        request("GET", f"{redirecting.origin()}/b", policy=following)

    assert [redirecting.next().path, redirecting.next().path] == ["/a", "/b"]
    assert forbidden.got_nothing()


def test_an_answer_over_the_size_cap_fails(servers):
    big = servers(lambda r: Answer(200, body=b"x" * 5000))
    with pytest.raises(Failed, match="larger than 4096 bytes"):
        request("GET", big.origin() + "/", policy=Policy.with_origins([big.origin()], max_bytes=4096))


def test_a_slow_service_fails_at_the_timeout(servers):
    slow = servers(lambda r: Answer(201, delay=5))
    started = time.monotonic()
    with pytest.raises(Failed):
        request("POST", slow.origin() + "/", policy=Policy.with_origins([slow.origin()], timeout=0.3))
    assert time.monotonic() - started < 5  # the service's delay: the request gave up well before


def test_https_goes_to_the_pinned_address_with_the_url_host_for_sni_and_certificate(servers, tmp_path):
    tls, ca = make_tls(tmp_path, "localhost")
    secure = servers(tls=tls)
    policy = Policy.with_origins([secure.origin("https", "localhost")], ca_certs=ca)

    assert request("POST", f"https://localhost:{secure.port}/p", policy=policy, body=b"x").status == 201
    assert secure.next().headers["host"] == f"localhost:{secure.port}"

    # The certificate names localhost, not the address connected to: asked by address, it fails.
    by_address = Policy.with_origins([secure.origin("https")], ca_certs=ca)
    with pytest.raises(Failed):
        request("POST", f"https://127.0.0.1:{secure.port}/p", policy=by_address)


def test_a_body_trickling_in_is_cut_at_the_deadline(servers):
    # Each piece arrives well within a socket timeout; only the request's total time stops it.
    trickle = servers(lambda r: Answer(200, body=b"x" * 4000, chunk_size=10, chunk_interval=0.1))
    started = time.monotonic()
    with pytest.raises(Failed, match="1 s"):
        request("GET", trickle.origin() + "/", policy=Policy.with_origins([trickle.origin()], timeout=1))
    assert 1 <= time.monotonic() - started < 2.5  # the whole body would take 40 s
    assert trickle.hung_up.get(timeout=5) < 4000


def test_a_truncating_policy_keeps_the_first_max_bytes_and_hangs_up(servers):
    huge = servers(lambda r: Answer(200, body=b"<head>" + b"x" * (8 * 1024 * 1024)))
    policy = Policy.with_origins([huge.origin()], max_bytes=100_000, truncate=True)

    answer = request("GET", huge.origin() + "/", policy=policy)

    assert (len(answer.body), answer.truncated, answer.body[:6]) == (100_000, True, b"<head>")
    # The rest was never read: the server could not send it all.
    assert huge.hung_up.get(timeout=5) < 8 * 1024 * 1024


def test_an_answer_of_another_content_type_is_not_read(servers):
    json_service = servers(lambda r: Answer(200, body=b'{"a": 1}', headers={"Content-Type": "application/json"}))
    policy = Policy.with_origins([json_service.origin()], content_types=frozenset({"text/html"}))
    answer = request("GET", json_service.origin() + "/", policy=policy)
    assert (answer.status, answer.content_type, answer.body) == (200, "application/json", b"")


def test_a_followed_redirect_reports_the_url_that_answered(servers):
    final = servers(lambda r: Answer(200, body=b"here"))
    first = servers(lambda r: Answer(301, headers={"Location": f"{final.origin()}/landing?x=1"}))
    policy = Policy.with_origins([first.origin(), final.origin()], max_redirects=3)

    answer = request("GET", f"{first.origin()}/start", policy=policy)

    assert (answer.status, answer.body, answer.url) == (200, b"here", f"{final.origin()}/landing?x=1")
    assert (first.next().path, final.next().path) == ("/start", "/landing?x=1")


def test_more_redirects_than_allowed_fail(servers):
    loop = servers(lambda r: Answer(302, headers={"Location": "/again"}))
    with pytest.raises(Failed, match="more than 3 redirects"):
        request("GET", loop.origin() + "/", policy=Policy.with_origins([loop.origin()], max_redirects=3))
    assert [loop.next().path for _ in range(4)] == ["/", "/again", "/again", "/again"]
    assert loop.got_nothing()


def test_a_host_name_lookup_that_hangs_fails_at_the_deadline(monkeypatch):
    answered = threading.Event()

    def hanging_lookup(*args, **kwargs):
        answered.wait(10)  # a name server that never answers (released at the end of the test)
        raise OSError("no answer")

    monkeypatch.setattr(guard.socket, "getaddrinfo", hanging_lookup)
    started = time.monotonic()
    try:
        with pytest.raises(Failed, match="not resolved within"):
            request("GET", "https://slow-dns.example/", policy=Policy(timeout=0.5))
        assert time.monotonic() - started < 2
    finally:
        answered.set()
