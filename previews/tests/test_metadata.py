"""What a page says about itself, from its OpenGraph tags, Twitter card or <title>."""

from previews.metadata import page_metadata


def parse(html: str | bytes, content_type: str = "text/html", url: str = "https://www.a.example/post/1"):
    body = html.encode() if isinstance(html, str) else html
    return page_metadata(body, content_type=content_type, url=url)


def test_opengraph_wins_and_a_relative_image_is_resolved_against_the_page():
    found = parse(
        """<html><head><title>Plain title</title>
        <meta property="og:title" content="OG &amp; title"><meta name="twitter:title" content="Card title">
        <meta property="og:description" content="  Two
        lines  "><meta name="description" content="plain">
        <meta property="og:site_name" content="A Site"><meta property="og:image" content="../img/card.png">
        </head><body>x</body></html>"""
    )
    assert (found.title, found.description, found.site_name) == ("OG & title", "Two lines", "A Site")
    assert found.image_url == "https://www.a.example/img/card.png"


def test_twitter_cards_then_title_and_description_then_the_host_fill_in():
    found = parse(
        '<title> Just\n a title </title><meta name="TWITTER:IMAGE" content="//cdn.a.example/c.jpg">'
        '<meta name="description" content="Plain description">'
    )
    assert (found.title, found.description, found.site_name) == ("Just a title", "Plain description", "a.example")
    assert found.image_url == "https://cdn.a.example/c.jpg"


def test_a_page_with_nothing_to_show_is_empty():
    assert parse("<html><body><p>only text</p></body></html>").is_empty()


def test_only_http_images_are_kept():
    for image in ("javascript:alert(1)", "data:image/png;base64,AAAA", "file:///etc/passwd", "   "):
        assert (
            parse(f'<meta property="og:title" content="t"><meta property="og:image" content="{image}">').image_url
            is None
        )


def test_the_charset_comes_from_the_header_else_the_page_else_utf8():
    latin = '<meta property="og:title" content="Café">'.encode("latin-1")
    assert parse(latin, "text/html; charset=ISO-8859-1").title == "Café"
    assert parse(b'<meta charset="windows-1252">' + latin).title == "Café"
    assert parse('<meta property="og:title" content="Café ☕">', "text/html; charset=nonsense").title == "Café ☕"
    assert parse(latin).title == "Caf\ufffd"  # not UTF-8, and nothing says what it is


def test_hostile_texts_come_out_as_one_short_plain_line():
    found = parse(
        '<meta property="og:title" content="&lt;script&gt;alert(1)&lt;/script&gt;\x07\u202eevil">'
        f'<meta property="og:description" content="{"long " * 200}">'
        '<meta property="og:site_name" content="👩‍👩‍👧 family">'
    )
    assert found.title == "<script>alert(1)</script>evil"  # text for clients to insert as text, no controls
    assert len(found.description) == 300 and found.description.endswith("…")
    assert found.site_name == "👩‍👩‍👧 family"  # emoji joiners kept


def test_a_mangled_page_still_parses():
    found = parse('<html><head><meta property="og:title" content="Survives"><title>x<body><<<>>>></div></html')
    assert found.title == "Survives"
