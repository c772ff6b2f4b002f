"""The search box's language: free text plus operators, parsed once, rendered for each database.

Free text reads as PostgreSQL's `websearch_to_tsquery` reads it: words must all appear,
`"exact phrase"` keeps words together and in order, `-word` excludes, `or` between two terms
accepts either. The last word also matches as a prefix while it is being typed (`deplo` finds
"deploy"), which `websearch_to_tsquery` cannot say; so the text is parsed here and rendered to
`to_tsquery` syntax for PostgreSQL and to an FTS5 query for SQLite, and both databases answer the
same question. Operators (`from:`, `in:`, `has:`, `before:`, `after:`, `is:`) may stand anywhere,
`-` in front negates one; a word that looks like an operator but is none (`foo:bar`) is text.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from chatapp.errors import BadRequest

MAX_QUERY_LENGTH = 500
MAX_TERMS = 32
HAS_VALUES = ("file", "image", "link", "audio")
IS_VALUES = ("mention", "unread")
OPERATORS = ("from", "in", "has", "before", "after", "is")

_TOKEN = re.compile(
    r"""\s*(?P<neg>-(?=\S))?(?:
        (?P<op>[A-Za-z]+):(?:"(?P<quoted>[^"]*)"?|(?P<value>[^\s"]*))
      | "(?P<phrase>[^"]*)"?
      | (?P<word>[^\s"]+)
    )""",
    re.VERBOSE,
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WORD_CHARS = re.compile(r"\w")
_PREFIXABLE = re.compile(r"\w+")


@dataclass(frozen=True)
class Term:
    """A word (`words` of one) or a phrase; `prefix`: its last word may be the start of a longer one."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Filter:
    name: str  # one of OPERATORS
    value: str
    negated: bool = False


@dataclass(frozen=True)
class SearchQuery:
    """`required`: each group must match (a group of several is an `or`); `excluded`: none may."""

    required: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()
    filters: tuple[Filter, ...] = field(default=())

    @property
    def has_text(self) -> bool:
        return bool(self.required or self.excluded)

    @property
    def highlighted(self) -> tuple[Term, ...]:
        """The terms a result is shown to match (exclusions never appear in one)."""
        return tuple(term for group in self.required for term in group)


def _filter(name: str, value: str, negated: bool) -> Filter:
    if name == "from":
        value = value.removeprefix("@")
    elif name == "has" and value not in HAS_VALUES:
        raise BadRequest(f"has: takes one of {', '.join(HAS_VALUES)}")
    elif name == "is" and value not in IS_VALUES:
        raise BadRequest(f"is: takes one of {', '.join(IS_VALUES)}")
    elif name in ("before", "after"):
        try:
            if not _DATE.fullmatch(value):
                raise ValueError(value)
            date.fromisoformat(value)
        except ValueError:
            raise BadRequest(f"{name}: takes a date as YYYY-MM-DD, e.g. {name}:2024-05-31") from None
    return Filter(name=name, value=value, negated=negated)


def _term(text: str) -> Term | None:
    words = tuple(text.split())
    # Punctuation alone is no word for either database's tokenizer; dropped here so both agree.
    if not words or not _WORD_CHARS.search(text):
        return None
    return Term(words=words)


def parse(text: str) -> SearchQuery:
    """The query in `text`; BadRequest for an empty one, one too long, or an operator's bad value."""
    # A last word followed by a space is finished; one right at the end may still be growing.
    typing = bool(text) and not text[-1].isspace()
    text = (text or "").strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise BadRequest(f"q must be at most {MAX_QUERY_LENGTH} characters")
    required: list[list[Term]] = []
    excluded: list[Term] = []
    filters: list[Filter] = []
    joining = False  # an `or` stands between the last term and the next
    last_kind = ""
    for match in _TOKEN.finditer(text):
        negated = match["neg"] is not None
        op = (match["op"] or "").lower()
        if match["op"] is not None and op in OPERATORS:
            value = match["quoted"] if match["quoted"] is not None else match["value"]
            value = value.strip()
            if value:  # `from:` with nothing yet (still being typed) narrows nothing
                filters.append(_filter(op, value, negated))
            last_kind = "operator"
            continue
        if match["op"] is not None:
            raw = f"{match['op']}:{match['quoted'] if match['quoted'] is not None else match['value']}"
            term, kind = _term(raw), "word"
        elif match["phrase"] is not None:
            term, kind = _term(match["phrase"]), "phrase"
        else:
            word = match["word"]
            if word.lower() == "or" and not negated:
                joining = bool(required) and last_kind in ("word", "phrase")
                last_kind = "or"
                continue
            term, kind = _term(word), "word"
        if term is None:
            continue
        if negated:
            excluded.append(term)
            kind = "excluded"
        elif joining:
            required[-1].append(term)
        else:
            required.append([term])
        joining = False
        last_kind = kind
    if last_kind == "word" and required and typing:
        last = required[-1][-1]
        if len(last.words) == 1 and _PREFIXABLE.fullmatch(last.words[0]):
            required[-1][-1] = Term(words=last.words, prefix=True)
    if sum(len(group) for group in required) + len(excluded) + len(filters) > MAX_TERMS:
        raise BadRequest(f"A search may have at most {MAX_TERMS} words and operators")
    if not (required or excluded or filters):
        raise BadRequest("q must have a word or an operator to search for")
    return SearchQuery(
        required=tuple(tuple(group) for group in required), excluded=tuple(excluded), filters=tuple(filters)
    )


# --- PostgreSQL: to_tsquery syntax ------------------------------------------------------------


def _tsquery_term(term: Term) -> str:
    # One quoted literal per term: PostgreSQL runs it through the configuration's parser and
    # dictionaries (stems, accents, stop words), and a literal of several words becomes a phrase.
    literal = " ".join(term.words).replace("\\", "\\\\").replace("'", "''")
    return f"'{literal}'" + (":*" if term.prefix else "")


def _tsquery_any(terms: tuple[Term, ...]) -> str:
    rendered = " | ".join(_tsquery_term(term) for term in terms)
    return f"( {rendered} )" if len(terms) > 1 else rendered


def to_tsquery(query: SearchQuery) -> str:
    """The free text as `to_tsquery` input ("" when there is none)."""
    parts = [_tsquery_any(group) for group in query.required]
    parts += [f"!{_tsquery_term(term)}" for term in query.excluded]
    return " & ".join(parts)


def highlight_tsquery(query: SearchQuery) -> str:
    """Any of the terms a result matches, for marking them in its text ("" when there is none)."""
    return " | ".join(_tsquery_term(term) for term in query.highlighted)


# --- SQLite: FTS5 query syntax ----------------------------------------------------------------


def _fts5_term(term: Term) -> str:
    # A quoted string is one FTS5 phrase whatever it holds (quotes doubled), so no user text is
    # ever read as FTS5 syntax.
    quoted = '"' + " ".join(term.words).replace('"', '""') + '"'
    return quoted + ("*" if term.prefix else "")


def _fts5_any(terms: tuple[Term, ...]) -> str:
    rendered = " OR ".join(_fts5_term(term) for term in terms)
    return f"({rendered})" if len(terms) > 1 else rendered


def to_fts5(query: SearchQuery) -> str:
    """What results must match, as an FTS5 query ("" when only exclusions were given)."""
    required = " AND ".join(_fts5_any(group) for group in query.required)
    if not required:
        return ""
    if not query.excluded:
        return required
    return f"({required}) NOT {fts5_excluded(query)}"


def fts5_excluded(query: SearchQuery) -> str:
    """Any excluded term, as an FTS5 query ("" when there is none)."""
    return _fts5_any(query.excluded) if query.excluded else ""


def highlight_fts5(query: SearchQuery) -> str:
    return " OR ".join(_fts5_term(term) for term in query.highlighted)
