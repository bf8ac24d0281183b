"""Test photos made with Pillow: a JPEG with EXIF GPS, an ICC profile and a comment, and a reader
of the segments a JPEG carries (to prove the cleaned copy carries none of them)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageCms

#: where the "customer" took the photo: what must never reach the agent
GPS_LATITUDE = (59.0, 19.0, 45.12)
GPS_LONGITUDE = (18.0, 4.0, 12.34)
COMMENT = b"secret-comment-from-the-camera"
CAMERA = "HelpwireTestCam 3000"


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "HelpwireTest"  # Make
    exif[0x0110] = CAMERA  # Model
    exif[0x0112] = orientation  # Orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = GPS_LATITUDE
    gps[3] = "E"
    gps[4] = GPS_LONGITUDE
    return exif


def srgb_profile() -> bytes:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return bytes(profile.tobytes())


def picture(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A non-uniform picture (a gradient), so that encoders cannot shrink it to nothing."""
    image = Image.linear_gradient("L").resize((width, height))
    if mode == "L":
        return image
    rgb = Image.merge("RGB", (image, image.rotate(90).resize((width, height)), image))
    if mode == "RGBA":
        rgba = rgb.convert("RGBA")
        rgba.putalpha(Image.new("L", (width, height), 0))
        return rgba
    return rgb


def jpeg_with_metadata(width: int = 320, height: int = 240, orientation: int = 1) -> bytes:
    out = io.BytesIO()
    picture(width, height).save(out, "JPEG", exif=exif_with_gps(orientation).tobytes(),
                                icc_profile=srgb_profile(), comment=COMMENT, quality=90)
    return out.getvalue()


def encoded(image: Image.Image, kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height`` with almost no data: a decompression bomb's
    first step (nothing must be allocated for it)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def heic_header() -> bytes:
    """The start of an iPhone HEIC file (an ISO-BMFF ftyp box, brand heic)."""
    return struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic" + b"\x00" * 64


def jpeg_markers(data: bytes) -> list[int]:
    """Every marker of a JPEG up to its image data (SOS), e.g. 0xE1 for APP1 (EXIF, XMP)."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    markers = [0xD8]
    at = 2
    while at < len(data):
        assert data[at] == 0xFF, f"no marker at {at}"
        marker = data[at + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return markers
        length = struct.unpack(">H", data[at + 2:at + 4])[0]
        at += 2 + length
    return markers


#: what a clean baseline JPEG may carry: SOI, JFIF (APP0), quantisation and Huffman tables,
#: frame header, restart interval, start of scan. No APP1 (EXIF/XMP), APP2 (ICC), COM.
CLEAN_MARKERS = frozenset({0xD8, 0xE0, 0xDB, 0xC4, 0xC0, 0xC1, 0xC2, 0xDD, 0xDA})


def assert_clean_jpeg(data: bytes) -> None:
    markers = jpeg_markers(data)
    extra = [hex(m) for m in markers if m not in CLEAN_MARKERS]
    assert extra == [], f"the cleaned JPEG carries segments {extra}"
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert not image.getexif(), "EXIF survived"
        assert "icc_profile" not in image.info and "comment" not in image.info, image.info
    for leaked in (COMMENT, CAMERA.encode(), b"HelpwireTest"):
        assert leaked not in data
