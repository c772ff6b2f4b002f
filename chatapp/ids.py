"""Ids that arrive outside the URL router (WebSocket frames, query strings), parsed one way."""

from uuid import UUID


def parse_uuid(value: object) -> UUID | None:
    """`value` as a UUID, or None when it is not one.

    Reads a UUID or any text `uuid.UUID` reads (upper case, braces, `urn:uuid:`); anything else,
    a number or a list included, is None, so each caller answers in its own terms: a 400, a 404
    or an `error` event. Paths need none of this: their `<uuid:…>` converters hand views a UUID.
    """
    if isinstance(value, UUID):
        return value
    if not isinstance(value, str):
        return None
    try:
        return UUID(value)
    except ValueError:
        return None
