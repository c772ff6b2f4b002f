"""Message text to HTML (`content_html`): Markdown rendered once, at write time, then sanitised.

markdown-it-py with its `js-default` preset, which never passes raw HTML through, narrowed to what a
chat message needs: paragraphs and line breaks, bold, italic, strikethrough, inline code, fenced
code blocks (the language kept as a `language-…` class), block quotes, lists, links and autolinked
URLs, and @mentions. No images, tables, headings, rules or indented code blocks: a pasted indented
line or a `# 1` should stay text in a chat.

Whatever the parser produces then goes through nh3 (the ammonia sanitiser) with an allow-list of
tags and attributes, so a parser bug cannot become script in a browser: links keep only absolute
http, https and mailto addresses and get `rel="noopener noreferrer nofollow" target="_blank"`;
classes, ids and ordinals are checked value by value. tests/security/test_rendering.py runs the
hostile corpus (tests/security/data/xss_corpus.txt) through it.

Stored with RENDERER_VERSION: change what this module produces and raise the number, and
`manage.py rerender_messages` renders again every message stored with an older one.
"""

import re
import threading
from collections.abc import Iterable, Mapping
from types import SimpleNamespace
from typing import Any

import nh3
from markdown_it import MarkdownIt, helpers
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import OptionsDict

from messaging import mentions as mention_rules

RENDERER_VERSION = 1

# Block quotes and lists nest at most this deep. markdown-it-py's default (100) lets 2,000
# characters such as "[![" * 666 take 0.34 s and "[" * 2000 0.25 s to parse; at 20 (CommonMark's
# own preset), with `_link_label_end`, the slowest of tests/security/test_rendering.py's
# pathological inputs takes 0.03 s. Past the limit markdown-it drops the rest of the text, so
# such a message is shown as plain text instead (`_too_deep`).
MAX_NESTING = 20

ALLOWED_TAGS = {"p", "br", "strong", "em", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a", "span"}
_ATTRIBUTES = {
    "a": {"href"},
    "ol": {"start"},
    "code": {"class"},
    "span": {"class", "data-user-id", "data-mention"},
}
LINK_REL = "noopener noreferrer nofollow"
_LINK_PREFIXES = ("http://", "https://", "mailto:")
# What a fence's info string may name: "python", "c++", "c#", "objective-c", "shell-session".
_CODE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")
_USER_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# The rules of the js-default preset that a chat message does not use.
_DISABLED_RULES = ["table", "code", "hr", "heading", "lheading", "html_block", "image", "html_inline"]


def _link_allowed(url: str) -> bool:
    """markdown-it asks this of every link destination and autolink (already normalised)."""
    return url.lower().startswith(_LINK_PREFIXES)


def _link_label_end(state: StateInline, start: int, disableNested: bool = False) -> int:  # noqa: N803
    """markdown-it's `parseLinkLabel`, answering at once when no "]" follows `start`.

    The library scans to the end of the paragraph for every "[" that opens no link, so 2,000
    characters of "[" cost 2,000 scans (0.1-0.25 s); with no "]" ahead none of them can close.
    """
    if state.src.find("]", start + 1, state.posMax) < 0:
        return -1
    return helpers.parseLinkLabel(state, start, disableNested)


def _mention(state: StateInline, silent: bool) -> bool:
    """An @name of someone the message mentions (or @room): one `mention` token.

    The same @s as `messaging.mentions.parse` (not glued to a word; code spans and links are other
    tokens, never reached here), resolved against the mentions stored with the message, longest
    name first.
    """
    src, at = state.src, state.pos
    if src[at] != "@":
        return False
    people: Mapping[str, str] = state.env.get("mentions", {})
    room: bool = state.env.get("mentions_room", False)
    for name in mention_rules.names_at(src, at):
        is_room = name == mention_rules.ROOM_MENTION
        if (is_room and room) or (not is_room and name in people):
            if not silent:
                token = state.push("mention", "span", 0)
                token.content = src[at + 1 : at + 1 + len(name)]
                token.meta = {"user_id": None if is_room else people[name]}
            state.pos = at + 1 + len(name)
            return True
        if is_room:
            # `resolve` stops at @room whether or not it counts: so does the markup.
            return False
    return False


def _render_mention(
    renderer: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: dict[str, Any]
) -> str:
    token = tokens[idx]
    name = escapeHtml(token.content)
    user_id = token.meta["user_id"]
    if user_id is None:
        return f'<span class="mention" data-mention="room">@{name}</span>'
    return f'<span class="mention" data-user-id="{escapeHtml(user_id)}">@{name}</span>'


def _attribute_value(tag: str, attribute: str, value: str) -> str | None:
    """The sanitiser's per-value check of the attributes `_ATTRIBUTES` lets through."""
    if attribute == "class":
        if (tag == "code" and _CODE_CLASS.fullmatch(value)) or (tag == "span" and value == "mention"):
            return value
        return None
    if attribute == "data-user-id":
        return value if _USER_ID.fullmatch(value) else None
    if attribute == "data-mention":
        return value if value == "room" else None
    if attribute == "start":
        return value if value.isdigit() and len(value) <= 9 else None
    return value


def _build() -> tuple[MarkdownIt, nh3.Cleaner]:
    md = MarkdownIt("js-default", {"linkify": True, "breaks": True, "maxNesting": MAX_NESTING})
    md.disable(_DISABLED_RULES)
    md.validateLink = _link_allowed  # type: ignore[method-assign]
    # `md.helpers` is markdown-it's documented hook for the link helpers its rules call.
    md.helpers = SimpleNamespace(  # type: ignore[assignment]
        parseLinkLabel=_link_label_end,
        parseLinkDestination=helpers.parseLinkDestination,
        parseLinkTitle=helpers.parseLinkTitle,
    )
    md.inline.ruler.before("linkify", "mention", _mention)
    md.add_render_rule("mention", _render_mention)
    cleaner = nh3.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_attribute_value,
        link_rel=LINK_REL,
        set_tag_attribute_values={"a": {"target": "_blank"}},
        url_schemes={"http", "https", "mailto"},
        url_relative="deny",
        strip_comments=True,
    )
    return md, cleaner


# One parser per thread: linkify-it keeps the state of its last match on the object, so two
# threads sharing one could each read the other's links.
_local = threading.local()


def _tools() -> tuple[MarkdownIt, nh3.Cleaner]:
    tools = getattr(_local, "tools", None)
    if tools is None:
        tools = _local.tools = _build()
    return tools


def _too_deep(tokens: list[Token]) -> bool:
    """Whether the block parser reached MAX_NESTING, where it silently drops the rest of the text."""
    return any(token.nesting == 1 and token.level >= MAX_NESTING - 1 for token in tokens)


def _plain(content: str) -> str:
    return "<p>" + escapeHtml(content).replace("\n", "<br>\n") + "</p>"


def render(content: str, *, mentions: Iterable[Mapping[str, str]] = (), mentions_room: bool = False) -> str:
    """`content` as sanitised HTML. `mentions` are the message's ({"id", "username"}), `mentions_room`
    whether its @room counts: only those @names become mention spans."""
    if not content:
        return ""
    md, cleaner = _tools()
    env: dict[str, Any] = {
        "mentions": {mention["username"].lower(): mention["id"] for mention in mentions},
        "mentions_room": mentions_room,
    }
    tokens = md.parse(content, env)
    html = _plain(content) if _too_deep(tokens) else md.renderer.render(tokens, md.options, env)
    return cleaner.clean(html).strip()


def sanitise(html: str) -> str:
    """Any HTML through the same allow-list as `render`'s output."""
    return _tools()[1].clean(html).strip()
