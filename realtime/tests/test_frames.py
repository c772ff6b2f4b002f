import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from broadcast.frames import text_frame


def parse(data: bytes) -> Frame:
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=False)
    while True:
        try:
            next(parser)
        except StopIteration as done:
            return done.value


@pytest.mark.parametrize("size", [0, 5, 125, 126, 65535, 65536, 70_000])
def test_frame_is_a_final_unmasked_text_frame_a_client_parses_back(size):
    text = "é" * (size // 2) + "x" * (size % 2)
    frame = parse(text_frame(text))
    assert (frame.opcode, frame.fin) == (Opcode.TEXT, True)
    assert frame.data.decode() == text
