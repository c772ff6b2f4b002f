"""Link previews against real web servers on loopback addresses: what a page shows becomes the
preview, and nothing the guard forbids is ever asked for (each forbidden server must receive
nothing). Sites are admitted one by one (`sites`); 127.0.0.1, where `localhost` points, never is."""

import io
import logging
import threading
import time

import pytest
from PIL import Image

from messaging.models import MESSAGE_RELATED, Message
from messaging.serializers import message_json
from messaging.services import message_send
from outbound.tests.servers import Answer, wait_for
from previews import fetch
from previews.models import LinkPreview
from previews.tests.conftest import html, page, png, routes

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(make_room, user, other_user):
    return make_room(user, members=[other_user])


@pytest.fixture
def preview_of(chat, user, run_previews):
    """Sends `text` to the room, runs the preview job it queued, and returns the message's `link_preview`."""

    def send(text: str) -> dict | None:
        message, _ = message_send(room_id=chat.id, sender=user, content=text)
        run_previews()
        return message_json(Message.objects.select_related(*MESSAGE_RELATED).get(pk=message.pk))["link_preview"]

    return send


def test_an_opengraph_page_becomes_the_preview_with_this_servers_copy_of_its_image(sites, preview_of, _media_root):
    site = sites(routes({"/menu?day=mon": html(page()), "/card.png": png((1200, 800))}))

    preview = preview_of(f"Lunch? {site.origin()}/menu?day=mon")

    assert preview == {
        "url": f"{site.origin()}/menu?day=mon",
        "title": "Lunch menu",
        "description": "Soup of the day",
        "site_name": "Canteen",
        "image_url": preview["image_url"],
    }
    assert preview["image_url"].startswith("/media/uploads/") and preview["image_url"].endswith(".jpg")
    with Image.open(_media_root / preview["image_url"].removeprefix("/media/")) as image:
        assert (image.format, image.size) == ("JPEG", (400, 267))
    first, second = site.next(), site.next()
    assert (first.method, first.path, second.path) == ("GET", "/menu?day=mon", "/card.png")
    assert first.headers["host"] == f"{site.host}:{site.port}"  # the pinned address, the URL's host name
    assert first.headers["accept"].startswith("text/html") and second.headers["accept"].startswith("image/")


def test_a_link_to_a_name_that_resolves_to_loopback_is_not_fetched(sites, preview_of):
    forbidden = sites(routes({"/": html(page())}), host="127.0.0.1")
    assert preview_of(f"http://localhost:{forbidden.port}/") is None
    assert preview_of(f"http://[::ffff:127.0.0.1]:{forbidden.port}/") is None  # IPv4-mapped
    assert preview_of(f"http://2130706433:{forbidden.port}/") is None  # 127.0.0.1 as a number
    assert forbidden.got_nothing()


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://10.0.0.1/",
        "http://192.168.0.1/",
        "http://100.64.0.1/",  # CGNAT
        "http://[fd00::1]/",  # ULA
        "http://[fe80::1]/",
        "http://0.0.0.0/",
    ],
)
def test_links_to_private_and_reserved_addresses_are_not_previewed(target, preview_of, caplog):
    caplog.set_level(logging.INFO, logger="chatapp.previews")
    assert preview_of(f"see {target}") is None
    assert LinkPreview.objects.get(url=target).status == "failed"
    # Refused by the guard, before any connection (not a connection that failed).
    assert [record.reason for record in caplog.records] == [
        "the host " + target.split("/")[2].strip("[]") + " resolves to a private or reserved address"
    ]


def test_a_redirect_to_a_forbidden_address_is_not_followed(sites, preview_of):
    forbidden = sites(routes({"/admin": html(page(title="Internal"))}), host="127.0.0.1")
    site = sites(
        routes(
            {
                "/to-loopback": Answer(302, headers={"Location": f"http://127.0.0.1:{forbidden.port}/admin"}),
                "/to-localhost": Answer(301, headers={"Location": f"http://localhost:{forbidden.port}/admin"}),
                "/to-metadata": Answer(307, headers={"Location": "http://169.254.169.254/latest/meta-data/"}),
            }
        )
    )
    for path in ("/to-loopback", "/to-localhost", "/to-metadata"):
        assert preview_of(f"{site.origin()}{path}") is None
        assert site.next().path == path
    assert forbidden.got_nothing()


def test_up_to_three_redirects_are_followed_and_the_image_is_resolved_against_the_last_page(sites, preview_of):
    final = sites(routes({"/post/1": html(page(image="card.png")), "/post/card.png": png()}))
    hops = sites(
        routes(
            {
                "/a": Answer(301, headers={"Location": "/b"}),
                "/b": Answer(302, headers={"Location": "/c"}),
                "/c": Answer(303, headers={"Location": f"{final.origin()}/post/1"}),
                "/too-many": Answer(302, headers={"Location": "/a"}),
            }
        )
    )
    preview = preview_of(f"{hops.origin()}/a")
    assert (preview["url"], preview["title"]) == (f"{hops.origin()}/a", "Lunch menu")  # the link as sent
    assert preview["image_url"] is not None
    assert [final.next().path, final.next().path] == ["/post/1", "/post/card.png"]

    assert preview_of(f"{hops.origin()}/too-many") is None  # a 4th redirect is one too many
    assert final.got_nothing()


def test_an_image_on_a_forbidden_address_is_left_out(sites, preview_of):
    forbidden = sites(routes({"/secret.png": png()}), host="127.0.0.1")
    site = sites(routes({"/": html(page(image=f"http://localhost:{forbidden.port}/secret.png"))}))

    preview = preview_of(site.origin() + "/")

    assert (preview["title"], preview["image_url"]) == ("Lunch menu", None)
    assert forbidden.got_nothing()


def test_links_with_credentials_or_another_port_are_not_fetched(sites, preview_of):
    site = sites(routes({"/": html(page())}))
    other_port = sites(routes({"/": html(page())}), port=False)  # its address admitted, not its port

    assert preview_of(f"http://user:secret@{site.host}:{site.port}/") is None
    assert preview_of(f"http://{other_port.host}:{other_port.port}/") is None
    assert site.got_nothing() and other_port.got_nothing()


@pytest.mark.parametrize(
    "answer",
    [
        html(page(), content_type="application/json"),
        html(page(), content_type="text/plain"),
        html(page(), content_type="image/svg+xml"),
        html(page(), content_type=""),
        html(page(), status=404),
        html(b"<html><body>nothing to show</body></html>"),
    ],
)
def test_answers_that_are_not_an_html_page_with_something_to_show_give_no_preview(sites, preview_of, answer):
    site = sites(routes({"/": answer}))
    assert preview_of(site.origin() + "/") is None
    assert site.next().path == "/"


def test_a_huge_page_is_read_to_its_first_megabyte(sites, preview_of):
    body = page(title="Big page") + b"<p>" + b"x" * (16 * 1024 * 1024)
    site = sites(routes({"/": html(body)}))

    preview = preview_of(site.origin() + "/")

    assert preview["title"] == "Big page"
    # The client hung up after its megabyte: the server never got the rest out.
    assert site.hung_up.get(timeout=10) < len(body)


def test_a_page_trickling_in_is_given_up_after_five_seconds(sites, preview_of):
    body = page() + b" " * 2000
    site = sites(routes({"/": html(body, chunk_size=100, chunk_interval=0.5)}))  # 10 s for the whole page

    started = time.monotonic()
    assert preview_of(site.origin() + "/") is None
    assert fetch.TIMEOUT_SECONDS <= time.monotonic() - started < fetch.TIMEOUT_SECONDS + 2
    assert site.hung_up.get(timeout=10) < len(body)


def test_at_most_two_fetches_run_at_once_in_a_process(sites):
    gate = threading.Event()
    in_flight, most = [0], [0]
    lock = threading.Lock()

    def held(received):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        gate.wait(10)
        with lock:
            in_flight[0] -= 1
        return html(page(image=None))

    site = sites(held)
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda n=n: results.append(fetch.fetch_page(f"{site.origin()}/{n}").metadata.title))
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    wait_for(lambda: in_flight[0] == 2)
    with pytest.raises(AssertionError):  # two are held at the server: no third arrives meanwhile
        wait_for(lambda: in_flight[0] > 2, timeout=0.5)
    gate.set()
    for thread in threads:
        thread.join(10)
    assert (most[0], results) == (2, ["Lunch menu"] * 4)


def test_an_image_that_is_not_one_or_too_big_is_left_out(sites, preview_of):
    svg = Answer(200, b'<svg xmlns="http://www.w3.org/2000/svg"/>', {"Content-Type": "image/svg+xml"})
    lying = Answer(200, b"<html>not a png</html>", {"Content-Type": "image/png"})
    huge = Answer(200, b"\x89PNG" + b"\x00" * (fetch.MAX_IMAGE_BYTES + 1), {"Content-Type": "image/png"})
    site = sites(
        routes(
            {
                "/svg": html(page(image="/i.svg")),
                "/i.svg": svg,
                "/lying": html(page(image="/l.png")),
                "/l.png": lying,
                "/huge": html(page(image="/h.png")),
                "/h.png": huge,
            }
        )
    )
    for path in ("/svg", "/lying", "/huge"):
        preview = preview_of(site.origin() + path)
        assert (preview["title"], preview["image_url"]) == ("Lunch menu", None), path


def test_the_stored_image_keeps_no_metadata_of_the_original(sites, preview_of, _media_root):
    from uploads.tests.samples import jpeg_with_gps_exif

    photo = Answer(200, jpeg_with_gps_exif((800, 600)), {"Content-Type": "image/jpeg"})
    site = sites(routes({"/": html(page(image="/p.jpg")), "/p.jpg": photo}))

    preview = preview_of(site.origin() + "/")

    stored = (_media_root / preview["image_url"].removeprefix("/media/")).read_bytes()
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif() and image.size == (300, 400)  # turned upright, then scaled
    assert b"SpyCam" not in stored
