"""WebSocket frames built once and written to many sockets (RFC 6455, section 5.2).

A server's frames are not masked, so the frame carrying an event is the same bytes for every
recipient: build it once per event instead of once per socket.
"""

_FIN_TEXT = 0x81  # FIN bit + opcode 1 (text)


def text_frame(text: str) -> bytes:
    payload = text.encode()
    length = len(payload)
    if length < 126:
        header = bytes((_FIN_TEXT, length))
    elif length < 1 << 16:
        header = bytes((_FIN_TEXT, 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((_FIN_TEXT, 127)) + length.to_bytes(8, "big")
    return header + payload


def write_frame(transport, frame: bytes) -> None:
    """Writes `frame` to a Twisted TCP transport, sending at once when nothing is queued.

    Twisted's `write` only queues and registers the socket with the reactor, so every recipient
    of an event costs a reactor round (add writer, poll, send, remove writer): most of fan-out's
    time. Like asyncio's transports, try the send first and queue only what did not go out; an
    error is left to Twisted's own write path, which notices the lost connection.
    """
    queued = len(transport.dataBuffer) - transport.offset + transport._tempDataLen
    if not queued and not transport.disconnecting:
        sent = transport.writeSomeData(frame)
        if isinstance(sent, int):
            if sent == len(frame):
                return
            frame = frame[sent:]
    transport.write(frame)
