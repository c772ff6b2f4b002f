import uuid

import pytest

from chatapp.ids import parse_uuid

ID = uuid.UUID("6f9619ff-8b86-d011-b42d-00c04fc964ff")


@pytest.mark.parametrize("value", [ID, str(ID), str(ID).upper(), f"{{{ID}}}", f"urn:uuid:{ID}", ID.hex])
def test_every_spelling_uuid_reads_is_the_same_id(value):
    assert parse_uuid(value) == ID


@pytest.mark.parametrize("value", [None, "", "not-a-uuid", f"{ID}\x00", 42, ID.int, [str(ID)], {"id": str(ID)}])
def test_anything_else_is_none_not_an_exception(value):
    assert parse_uuid(value) is None
