"""The HTTP ceiling of daphne on this machine: a bare ASGI app answering every request at once.

Served by daphne like chatapp (`bench/servers.py`), measured by the REST history scenario with the
same load client: no Django, no middleware, no database; the most any response can reach here.
"""

BODY = b'{"status":"ok"}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
