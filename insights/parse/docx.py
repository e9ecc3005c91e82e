"""Word documents (Otter, Rev and hand-made .docx exports) → the text parser.

A .docx is a ZIP whose ``word/document.xml`` holds the paragraphs. The paragraphs, in document order, become the
lines of a plain-text transcript, so ``Name  0:42`` blocks, ``Name: text`` turns and timestamp lines are read by
the same rules as a .txt export. The format is ``docx:<what the text parser found>``.
"""
from __future__ import annotations

import io
import zipfile
import zlib
from typing import TYPE_CHECKING, Iterator

from insights.errors import InsightsError

if TYPE_CHECKING:
    from insights.parse import Parsed

# Local file header, empty archive, spanned archive: every ZIP starts with one of these.
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_DOCUMENT = "word/document.xml"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def sniff_bytes(data: bytes) -> bool:
    """True for any ZIP archive.

    Only a ZIP with ``word/document.xml`` is a Word document, but a damaged or foreign ZIP is claimed too, so it
    fails here with E205 ("not a Word document") instead of being decoded as text and failing obscurely.
    """
    return data.startswith(_ZIP_MAGIC)


def parse_bytes(data: bytes) -> "Parsed":
    """Parse a .docx transcript. E205 for a corrupt archive or a ZIP that is not a Word document."""
    from insights.parse import text as text_parser

    lines, title = _read_lines(data)
    content = "\n".join(lines).strip()
    if not content:
        raise InsightsError.make("E206", "the Word document holds no text")
    inner = text_parser.parse(content)
    inner.format = f"docx:{inner.format}"
    if title:
        inner.meta = {"title": title, **inner.meta}
    return inner


def _read_lines(data: bytes) -> tuple[list[str], str | None]:
    """The document's paragraphs as lines (table rows as one line, cells two spaces apart) and its title."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if _DOCUMENT not in names:
                raise InsightsError.make(
                    "E205", f"a ZIP archive without {_DOCUMENT}, so not a Word .docx "
                            f"({len(names)} entr{'y' if len(names) == 1 else 'ies'} inside)")
            bad = archive.testzip()
            if bad is not None:
                raise InsightsError.make("E205", f"the .docx archive is damaged ({bad} fails its checksum)")
    except zipfile.BadZipFile as exc:
        raise InsightsError.make("E205", f"the .docx archive is damaged ({exc})")
    except (OSError, EOFError, ValueError, NotImplementedError, zlib.error) as exc:
        # truncated, exotic compression, or deflate data damaged inside an intact archive (zlib.error)
        raise InsightsError.make("E205", f"the .docx archive cannot be read ({exc})")

    import docx as python_docx

    try:
        document = python_docx.Document(io.BytesIO(data))
        lines = list(_body_lines(document))
        title = (document.core_properties.title or "").strip() or None
    except InsightsError:
        raise
    except Exception as exc:  # noqa: BLE001 - python-docx/lxml raise many types for malformed XML parts
        raise InsightsError.make("E205", f"the Word document cannot be read ({type(exc).__name__}: {exc})")
    return lines, title


def _body_lines(document: object) -> Iterator[str]:
    """Paragraph texts in document order, tables included (an export may lay turns out as a table)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    body = document.element.body  # type: ignore[attr-defined]
    for child in body.iterchildren():
        if child.tag == f"{_W}p":
            yield Paragraph(child, document).text  # type: ignore[arg-type]
        elif child.tag == f"{_W}tbl":
            for row in Table(child, document).rows:  # type: ignore[arg-type]
                cells: list[str] = []
                for cell in row.cells:
                    text = " ".join(cell.text.split())
                    if text and (not cells or cells[-1] != text):   # merged cells repeat their text
                        cells.append(text)
                if cells:
                    yield "  ".join(cells)
