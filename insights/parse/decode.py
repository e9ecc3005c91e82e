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


# One well-formed UTF-8 sequence of two to four bytes (no overlongs, no surrogates).
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")
_HIGH_BYTES = bytes(range(0x80, 0x100))
_STRAY_HANDLER = "insights-stray-cp1252"


def _stray_bytes_as_cp1252(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: each byte UTF-8 cannot read, as its cp1252 character (latin-1 where undefined)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    return "".join(_cp1252_char(b) for b in bad), exc.end


def _cp1252_char(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


codecs.register_error(_STRAY_HANDLER, _stray_bytes_as_cp1252)


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
    valid = sum(len(m.group()) for m in _UTF8_MULTIBYTE.finditer(data))
    stray = len(data) - len(data.translate(None, _HIGH_BYTES)) - valid
    if valid and valid >= stray:
        # UTF-8 text with a few bytes from a Windows editor (a pasted smart quote): reading all of it as cp1252
        # would garble every accented name, so keep UTF-8 and read only the stray bytes as cp1252.
        plural = "" if stray == 1 else "s"
        return _normalise(data.decode("utf-8", _STRAY_HANDLER)), f"utf-8 (with {stray} stray cp1252 byte{plural})"
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
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
