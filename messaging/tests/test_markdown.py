"""What message text renders to: the formatting a chat uses, mentions, and what stays text.

The hostile side (script in every spelling, slow inputs) is tests/security/test_rendering.py.
"""

import pytest

from messaging.markdown import render

BOB = {"id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "username": "bob"}
BOB_SPAN = f'<span class="mention" data-user-id="{BOB["id"]}">@bob</span>'
ROOM_SPAN = '<span class="mention" data-mention="room">@room</span>'
LINK = 'target="_blank" rel="noopener noreferrer nofollow"'


class TestFormatting:
    @pytest.mark.parametrize(
        ("text", "html"),
        [
            ("plain words", "<p>plain words</p>"),
            ("**bold** and __bold__", "<p><strong>bold</strong> and <strong>bold</strong></p>"),
            ("*italic* and _italic_", "<p><em>italic</em> and <em>italic</em></p>"),
            ("~~gone~~", "<p><s>gone</s></p>"),
            ("`x < y`", "<p><code>x &lt; y</code></p>"),
            ("one\ntwo", "<p>one<br>\ntwo</p>"),
            ("one\n\ntwo", "<p>one</p>\n<p>two</p>"),
            ("> quoted\n> more", "<blockquote>\n<p>quoted<br>\nmore</p>\n</blockquote>"),
            ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
            ("3. c\n4. d", '<ol start="3">\n<li>c</li>\n<li>d</li>\n</ol>'),
            (
                "```python\nprint('<hi>')\n```",
                "<pre><code class=\"language-python\">print('&lt;hi&gt;')\n</code></pre>",
            ),
            ("```\nno language\n```", "<pre><code>no language\n</code></pre>"),
            ("~~~c++\nx\n~~~", '<pre><code class="language-c++">x\n</code></pre>'),
        ],
    )
    def test_chat_formatting(self, text, html):
        assert render(text) == html

    @pytest.mark.parametrize(
        ("text", "html"),
        [
            ("[docs](https://example.com/a?b=1&c=2)", f'<a href="https://example.com/a?b=1&amp;c=2" {LINK}>docs</a>'),
            ("see https://example.com/x.", f'see <a href="https://example.com/x" {LINK}>https://example.com/x</a>.'),
            ("www.example.com", f'<a href="http://www.example.com" {LINK}>www.example.com</a>'),
            ("<http://example.com>", f'<a href="http://example.com" {LINK}>http://example.com</a>'),
            ("mail me@example.com", f'mail <a href="mailto:me@example.com" {LINK}>me@example.com</a>'),
            ("[m](mailto:me@example.com)", f'<a href="mailto:me@example.com" {LINK}>m</a>'),
        ],
    )
    def test_links_open_in_a_new_tab_without_referrer_or_opener(self, text, html):
        assert render(text) == f"<p>{html}</p>"

    @pytest.mark.parametrize(
        ("text", "html"),
        [
            ("<b>not bold</b>", "<p>&lt;b&gt;not bold&lt;/b&gt;</p>"),
            ("![alt](https://example.com/x.png)", f'<p>!<a href="https://example.com/x.png" {LINK}>alt</a></p>'),
            ("| a | b |\n|---|---|\n| 1 | 2 |", "<p>| a | b |<br>\n|---|---|<br>\n| 1 | 2 |</p>"),
            ("# not a heading", "<p># not a heading</p>"),
            ("title\n===", "<p>title<br>\n===</p>"),
            ("---", "<p>---</p>"),
            ("    indented", "<p>indented</p>"),
            ("[relative](/api/v1/rooms)", "<p>[relative](/api/v1/rooms)</p>"),
            ("[ftp](ftp://example.com/f)", "<p>[ftp](ftp://example.com/f)</p>"),
            ("&amp; &lt; &copy;", "<p>&amp; &lt; ©</p>"),
        ],
    )
    def test_no_html_images_tables_headings_or_other_links(self, text, html):
        assert render(text) == html

    def test_empty_text_renders_to_nothing(self):
        assert render("") == ""

    def test_a_fence_language_that_is_not_a_word_is_dropped(self):
        assert render('```py"x\ncode\n```') == "<pre><code>code\n</code></pre>"


class TestMentions:
    def test_a_mention_names_the_user_by_id_as_written(self):
        html = render("hi @bob and @BOB.", mentions=[BOB])
        assert html == f'<p>hi {BOB_SPAN} and <span class="mention" data-user-id="{BOB["id"]}">@BOB</span>.</p>'

    def test_room_mention(self):
        assert render("@room look", mentions_room=True) == f"<p>{ROOM_SPAN} look</p>"

    def test_room_stays_text_unless_it_counts(self):
        assert render("@room look") == "<p>@room look</p>"

    @pytest.mark.parametrize(
        "text",
        ["`@bob`", "```\n@bob\n```", "https://example.com/@bob", "bob@example.com", "x@bob", "@bobby", "\\@bob"],
    )
    def test_no_mention_in_code_links_addresses_longer_names_or_escapes(self, text):
        assert "mention" not in render(text, mentions=[BOB])

    def test_only_the_messages_mentions_are_marked(self):
        assert render("@carol", mentions=[BOB]) == "<p>@carol</p>"

    def test_longest_username_wins(self):
        bob_smith = {"id": "00000000-0000-4000-8000-000000000001", "username": "bob.smith"}
        html = render("@bob.smith", mentions=[BOB, bob_smith])
        assert html == f'<p><span class="mention" data-user-id="{bob_smith["id"]}">@bob.smith</span></p>'

    def test_mentions_inside_formatting(self):
        assert render("**@bob** > ok", mentions=[BOB]) == f"<p><strong>{BOB_SPAN}</strong> &gt; ok</p>"

    def test_a_mention_in_a_block_quote(self):
        assert render("> @bob said", mentions=[BOB]) == f"<blockquote>\n<p>{BOB_SPAN} said</p>\n</blockquote>"
