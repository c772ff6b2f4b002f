"""Django's ASGI handler, with each request's synchronous work done in a single worker thread.

Django's own ASGI handler runs a sync view behind a chain of thread hops: the request_started
signal, every async-capable middleware's `process_request` and `process_response`, the view, and
`response.close()` each cross between the event loop and a thread created for the request. On this
stack (sync DRF views, `MiddlewareMixin` middleware) that was about 15 hops and 3 ms of CPU per
request, more than the work of most views (docs/benchmarks.md). Here the request is handled the
way Django's WSGI handler does it, sync from the first middleware to `response.close()`, in one
thread of a fixed pool; the event loop only reads the body and writes the response.

The one module that relies on Django's handler internals (methods of ASGIHandler and the
`_handler_class` of a response); chatapp/tests/test_handlers_contract.py names them.
"""

import asyncio
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from tempfile import SpooledTemporaryFile
from typing import cast

from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpResponseBase, JsonResponse, StreamingHttpResponse
from django.urls import set_script_prefix

from chatapp import request_limits
from chatapp.loops import call_for_loop


class BodyTooLarge(Exception):
    pass


def _header(scope: dict, name: bytes) -> str:
    return next((value.decode("latin-1") for key, value in scope["headers"] if key.lower() == name), "")


def _content_length(scope: dict) -> int | None:
    """The announced body length; None when there is none to believe (then the body is counted)."""
    announced = _header(scope, b"content-length").strip()
    return int(announced) if announced.isdigit() else None


class OneHopASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.executor = ThreadPoolExecutor(max_workers=settings.HTTP_WORKER_THREADS, thread_name_prefix="http")

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        path = request_limits.request_path(scope.get("raw_path") or scope["path"])
        refusal = request_limits.refusal_for_head(
            path=path, content_type=_header(scope, b"content-type"), content_length=_content_length(scope)
        )
        if refusal is None:
            try:
                body_file = await self.read_limited_body(receive, limit=request_limits.body_limit(path))
            except RequestAborted:
                return
            except BodyTooLarge:
                refusal = request_limits.too_large(path)
        if refusal is not None:
            # Before any middleware (so before authentication), and nothing of the body is kept.
            # Under `manage.py serve` the edge (realtime.transport.http) has refused these as they arrived.
            await self.send_response(JsonResponse({"error": refusal.error}, status=refusal.status), send)
            return
        # Like Django's own handler: a client that disconnects before its response is complete gets
        # nothing more, and its request ends (request_finished) without being sent.
        serving = asyncio.create_task(self._serve(scope, body_file, send))
        disconnect = asyncio.create_task(self._disconnected(receive))
        try:
            await asyncio.wait({serving, disconnect}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            disconnect.cancel()
            if not serving.done():
                serving.cancel()
            await asyncio.gather(serving, disconnect, return_exceptions=True)
        if not serving.cancelled() and (error := serving.exception()) is not None:
            raise error

    @staticmethod
    async def _disconnected(receive) -> None:
        """Returns when the client goes away: after the body, an ASGI server sends nothing else."""
        if (await receive())["type"] != "http.disconnect":
            await asyncio.Event().wait()

    async def _serve(self, scope: dict, body_file: SpooledTemporaryFile[bytes], send) -> None:
        loop = asyncio.get_running_loop()
        # call_for_loop: events this request publishes are sent on this loop (chatapp.loops).
        work = self.executor.submit(call_for_loop, loop, self._respond, scope, body_file)
        try:
            # Shielded: cancelling cannot stop a view already running in its thread.
            response = await asyncio.shield(asyncio.wrap_future(work))
        except asyncio.CancelledError:
            if not work.cancel():  # running: the thread ends the request unsent when it returns
                work.add_done_callback(lambda done: self._discard(done, body_file))
            else:
                body_file.close()
            raise
        except BaseException:
            body_file.close()
            raise
        try:
            await self.send_response(response, send)
        finally:
            if response.streaming:
                # A streamed body (a file) is read while sending; close it, and end the
                # request (request_finished), only after the last chunk or the client leaving.
                await loop.run_in_executor(self.executor, response.close)
            body_file.close()

    @staticmethod
    def _discard(done: Future[HttpResponseBase], body_file: SpooledTemporaryFile[bytes]) -> None:
        """In the worker thread, a response whose client left: closed (request_finished), not sent."""
        try:
            if done.exception() is None and done.result().streaming:
                done.result().close()
        finally:
            body_file.close()

    async def read_limited_body(self, receive, *, limit: int) -> SpooledTemporaryFile[bytes]:
        """Django's `read_body`, refusing a body once it grows past `limit` instead of storing it."""
        body_file = SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, mode="w+b")
        received = 0
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise RequestAborted()
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    raise BodyTooLarge()
                body_file.write(chunk)
                if not message.get("more_body", False):
                    break
        except BaseException:
            body_file.close()
            raise
        body_file.seek(0)
        return body_file

    async def send_response(self, response: HttpResponseBase, send) -> None:
        if not isinstance(response, StreamingHttpResponse) or response.is_async:
            await super().send_response(response, send)
            return
        # A file (FileResponse) is read chunk by chunk in a worker thread. Django's own path would
        # read the whole file into memory first, warning that the iterator is synchronous.
        headers = [(str(name).encode("ascii"), str(value).encode("latin1")) for name, value in response.items()]
        headers += [(b"Set-Cookie", c.output(header="").encode("ascii").strip()) for c in response.cookies.values()]
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
        loop = asyncio.get_running_loop()
        # is_async is False, so the content is a synchronous iterator.
        chunks = iter(cast(Iterator[bytes], response.streaming_content))
        while (part := await loop.run_in_executor(self.executor, next, chunks, None)) is not None:
            for chunk, _ in self.chunk_bytes(part):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body"})

    def _respond(self, scope: dict, body_file) -> HttpResponseBase:
        """What Django's WSGI handler does for a request, from request_started to response.close()."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        created = self.create_request(scope, body_file)
        if created[0] is None:
            response = created[1]  # the 400 Django answers for a request it cannot build
        else:
            response = self.get_response(created[0])
            # The sender of request_finished in response.close(), as Django's handlers set it; an
            # attribute of every response that the stubs leave out.
            response._handler_class = self.__class__  # type: ignore[attr-defined]
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if not response.streaming:
            # The body is in memory: end the request here (request_finished returns the database
            # connection) rather than with one more hop after sending.
            response.close()
        return response
