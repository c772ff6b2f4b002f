"""What chatapp/handlers.py relies on in Django's request handlers beyond their documented API.

`OneHopASGIHandler` runs a request the way Django's WSGI handler does, reusing the ASGI handler's
methods for building the request and sending the response. If a Django upgrade renames or changes
one of these, this test names it before a server breaks.
"""

import inspect

from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.core.signals import request_finished
from django.db import close_old_connections
from django.http import HttpResponse


def test_the_asgi_handler_methods_the_one_hop_handler_reuses_are_still_there():
    for name, parameters in {
        "create_request": ["self", "scope", "body_file"],
        "send_response": ["self", "response", "send"],
        "chunk_bytes": ["data"],  # a classmethod: bound, so no `cls`
    }.items():
        assert list(inspect.signature(getattr(ASGIHandler, name)).parameters) == parameters, name
    assert isinstance(ASGIHandler.chunk_size, int)
    assert list(inspect.signature(BaseHandler.load_middleware).parameters) == ["self", "is_async"]
    assert list(inspect.signature(BaseHandler.get_response).parameters) == ["self", "request"]


def test_a_response_ends_its_request_with_the_handler_class_set_on_it():
    # `_handler_class` is the sender Django's handlers give request_finished via response.close().
    senders: list[object] = []

    def on_finished(sender, **kwargs) -> None:
        senders.append(sender)

    # Django's own receiver checks the database connection, which a test without database access
    # may not touch (another test in this process may have left it open); Django's test client
    # leaves it out in the same way.
    request_finished.disconnect(close_old_connections)
    request_finished.connect(on_finished)
    try:
        response = HttpResponse()
        response._handler_class = ASGIHandler  # type: ignore[attr-defined]
        response.close()
    finally:
        request_finished.disconnect(on_finished)
        request_finished.connect(close_old_connections)
    assert senders == [ASGIHandler]
