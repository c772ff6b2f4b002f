import pytest

from previews.links import first_url


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("look https://a.example/x?y=1#z and http://b.example", "https://a.example/x?y=1#z"),
        ("(see https://a.example/x).", "https://a.example/x"),
        ("https://en.wikipedia.org/wiki/Alien_(film), a classic", "https://en.wikipedia.org/wiki/Alien_(film)"),
        ("[the menu](https://a.example/menu)", "https://a.example/menu"),
        ("**https://a.example/bold**!", "https://a.example/bold"),
        ("<https://a.example/angle>", "https://a.example/angle"),
        ('"https://a.example/quoted"', "https://a.example/quoted"),
        ("HTTPS://A.EXAMPLE/Shout", "HTTPS://A.EXAMPLE/Shout"),
        ("http://user:pw@10.0.0.1:8080/ comes first", "http://user:pw@10.0.0.1:8080/"),
        ("no link here", None),
        ("ftp://a.example/file and mailto:x@a.example", None),
        ("xhttps://a.example/glued", None),
        ("https:// nothing after", None),
    ],
)
def test_the_first_http_url_of_a_text_without_the_punctuation_around_it(text, url):
    assert first_url(text) == url
