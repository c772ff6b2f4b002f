"""Finding @mentions in message text: the names it may mean, then the members it does mention.

Two steps so a send asks the database once, whatever the number of @s: `parse` lists every
name each @ may stand for (no database), a selector loads the room's members with any of those
names in one query, and `resolve` picks, for each @, the longest name that is a member's.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

# `@room` mentions every member of the room; it wins over a member named "room".
ROOM_MENTION = "room"
# accounts.models.USERNAME_PATTERN: 3-30 of these characters.
_NAME_MIN, _NAME_MAX = 3, 30
_NAME_RUN = r"[A-Za-z0-9_.-]+"

# Text no mention hides in: code spans (a run of backticks up to the next run of the same
# length, so ``` fences too, across lines) and URLs, where "@name" is part of an address.
_CODE = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
_URL = re.compile(r"\b(?:[A-Za-z][A-Za-z0-9+.-]*://|www\.)\S+")
# An @ begins a mention at the start of the text or after a space or an opening punctuation
# mark (Zulip's rule), so "bob@example.com" or "a/@b" mention nobody.
_MENTION = re.compile(r"(?<![^\s'\"(\[{<,:;*~])@(" + _NAME_RUN + ")")


@dataclass(frozen=True)
class ParsedMentions:
    # For each @ in the text, the names (lower case) it may stand for, longest first.
    candidates: tuple[tuple[str, ...], ...]

    @property
    def names(self) -> set[str]:
        """Every username the text may mention (lower case), `@room` aside."""
        return {name for names in self.candidates for name in names if name != ROOM_MENTION}

    @property
    def may_mention_room(self) -> bool:
        return any(ROOM_MENTION in names for names in self.candidates)


def _names(run: str) -> tuple[str, ...]:
    """What `@<run>` may mean, longest first: the whole run, and every part of it that stops
    before a '.' or '-' (a sentence's full stop, "@alice-s idea"), of a username's length.

    Never a part that stops before a letter, digit or '_': "@alicex" does not mention alice.
    """
    lowered = run.lower()
    ends = [k for k in range(len(run), 0, -1) if k == len(run) or run[k] in ".-"]
    return tuple(lowered[:k] for k in ends if _NAME_MIN <= k <= _NAME_MAX)


def names_at(text: str, at: int) -> tuple[str, ...]:
    """The names (lower case, longest first) the @ at `text[at]` may mention; () when it cannot
    begin a mention (glued to a word, or no name after it). The renderer asks this of each @ it
    meets outside code and links, so it marks up the same @s that `parse` finds."""
    match = _MENTION.match(text, at)
    return _names(match.group(1)) if match else ()


def parse(content: str) -> ParsedMentions:
    """The names each @ of `content` may mention, code spans and URLs left out."""
    if "@" not in content:
        return ParsedMentions(candidates=())
    visible = _URL.sub(" ", _CODE.sub(" ", content))
    found = (_names(match.group(1)) for match in _MENTION.finditer(visible))
    return ParsedMentions(candidates=tuple(names for names in found if names))


Member = TypeVar("Member")


def resolve(parsed: ParsedMentions, members: Mapping[str, Member]) -> tuple[list[Member], bool]:
    """The members mentioned by name, in the order first mentioned, and whether `@room` is.

    `members` maps lower-case usernames to the room's members (those the parsed names found).
    For each @, the longest name that is a member's (or `@room`) wins; an @ naming nobody in
    the room mentions nobody.
    """
    mentioned: dict[str, Member] = {}
    everyone = False
    for names in parsed.candidates:
        for name in names:
            if name == ROOM_MENTION:
                everyone = True
                break
            if name in members:
                mentioned.setdefault(name, members[name])
                break
    return list(mentioned.values()), everyone
