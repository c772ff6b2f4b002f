"""The search box's language, rendered for each database (search.query)."""

import pytest

from chatapp.errors import BadRequest
from search.query import Filter, Term, parse, to_fts5, to_tsquery


@pytest.mark.parametrize(
    ("text", "tsquery", "fts5"),
    [
        ("deploy", "'deploy':*", '"deploy"*'),
        ("deploy ", "'deploy'", '"deploy"'),
        ('deploy "web server" fix', "'deploy' & 'web server' & 'fix':*", '"deploy" AND "web server" AND "fix"*'),
        ("cats or dogs -fish", "( 'cats' | 'dogs' ) & !'fish'", '(("cats" OR "dogs")) NOT "fish"'),
        ("a OR b OR c d", "( 'a' | 'b' | 'c' ) & 'd':*", '("a" OR "b" OR "c") AND "d"*'),
        ("-a -b", "!'a' & !'b'", ""),
        # Only a plain word is a prefix; an unclosed quote is a phrase to the end.
        ("it's back\\slash", "'it''s' & 'back\\\\slash'", '"it\'s" AND "back\\slash"'),
        ('say "hi"', "'say' & 'hi'", '"say" AND "hi"'),
        ('6" pipe', "'6' & 'pipe'", '"6" AND "pipe"'),
    ],
)
def test_free_text_renders_the_same_question_for_both_databases(text, tsquery, fts5):
    query = parse(text)
    assert to_tsquery(query) == tsquery
    assert to_fts5(query) == fts5


def test_operators_are_taken_out_wherever_they_stand():
    query = parse('from:@Bob deploy -in:"Ops team" has:link before:2024-05-01 is:unread foo:bar')
    assert query.filters == (
        Filter("from", "Bob"),
        Filter("in", "Ops team", negated=True),
        Filter("has", "link"),
        Filter("before", "2024-05-01"),
        Filter("is", "unread"),
    )
    assert query.required == ((Term(("deploy",)),), (Term(("foo:bar",)),))


def test_or_next_to_an_exclusion_or_an_operator_is_dropped():
    assert to_tsquery(parse("a OR -b")) == "'a' & !'b'"
    assert to_tsquery(parse("from:x OR a")) == "'a':*"
    assert to_tsquery(parse("OR a OR")) == "'a'"


def test_an_operator_still_being_typed_narrows_nothing():
    assert parse("deploy from:").filters == ()
    with pytest.raises(BadRequest):
        parse("from:")
