"""WebSocket frames built once and written to many sockets (RFC 6455, section 5.2).

A server's frames are not masked, so the frame carrying an event is the same bytes for every
recipient: build it once per event instead of once per socket (realtime.transport writes it).
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
