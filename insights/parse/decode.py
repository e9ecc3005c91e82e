"""Bytes to text: BOMs, UTF-8, Windows-1252; refuse binary files early with a clear error."""
from __future__ import annotations

import codecs
import re

from insights.errors import InsightsError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),   # before UTF-16 LE: its BOM starts with UTF-16 LE's
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# Magic numbers of files people drop into transcript folders by mistake.
_BINARY_MAGIC = {
    b"%PDF": "PDF document",
    b"\x89PNG": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"GIF8": "GIF image",
    b"ID3": "MP3 audio",
    b"RIFF": "WAV/AVI media",
    b"OggS": "Ogg audio",
    b"fLaC": "FLAC audio",
    b"\x1f\x8b": "gzip archive",
    b"7z\xbc\xaf": "7-zip archive",
    b"Rar!": "RAR archive",
}


def sniff_binary(data: bytes) -> str | None:
    """Name the kind of binary file, or None when it may be text. ZIP (docx) is handled by the caller."""
    for magic, what in _BINARY_MAGIC.items():
        if data.startswith(magic):
            return what
    if len(data) >= 12 and data[4:8] == b"ftyp":
        return "MP4/M4A media"
    return None


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding). Newlines are normalised to ``\\n``; the BOM is dropped."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise InsightsError.make("E104", f"{encoding} BOM but invalid {encoding} at byte {exc.start}")
            return _normalise(text), encoding
    what = sniff_binary(data)
    if what:
        raise InsightsError.make("E103", what)
    sample = data[:8192]
    if sample and sample.count(b"\x00") > len(sample) // 10:
        # UTF-16 without BOM is very rare in exports; NUL-heavy content is binary.
        raise InsightsError.make("E103", "it contains NUL bytes")
    try:
        return _normalise(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        # cp1252 leaves five bytes undefined; latin-1 maps every byte, so fall back to it.
        text = data.decode("latin-1")
        return _normalise(text), "latin-1"
    return _normalise(text), "cp1252"


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Word writes a soft line break as a vertical tab and a page break as a form feed: they separate words.
    text = text.replace("\x0b", "\n").replace("\x0c", "\n")
    # Other control characters than tab/newline are export noise; keep the text otherwise verbatim.
    text = _CONTROL.sub("", text)
    return text.replace("\u2028", "\n").replace("\u2029", "\n")
