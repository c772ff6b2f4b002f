import ipaddress
import time

import pytest

from outbound import Failed, Policy, Refused, check_url, request
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
