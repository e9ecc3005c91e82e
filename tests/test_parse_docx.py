"""Word (.docx) exports: paragraphs become a text transcript; broken archives are a clear E205, never a traceback."""
import io
import zipfile

import docx
import pytest

from insights.errors import InsightsError
from insights.parse import docx as docx_parser
from insights.parse import parse_bytes


def make_docx(paragraphs: list[str], *, title: str = "", table: list[list[str]] | None = None) -> bytes:
    """A .docx built with python-docx, the way Otter/Rev exports are laid out (one paragraph per line)."""
    document = docx.Document()
    document.core_properties.title = title
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


OTTER = [
    "Maya Chen  0:03", "Thanks for joining. How is the rollout going so far?", "",
    "Rachel Ortiz  0:09", "Slower than we hoped. Our admins are stretched thin.", "",
    "Maya Chen  0:16", "What would make the next phase easier?", "",
]


def test_an_otter_docx_reads_as_speaker_blocks_with_start_times():
    parsed = docx_parser.parse_bytes(make_docx(OTTER))
    assert parsed.format.startswith("docx:")
    assert [(u.speaker, u.text, u.start) for u in parsed.utterances] == [
        ("Maya Chen", "Thanks for joining. How is the rollout going so far?", 3.0),
        ("Rachel Ortiz", "Slower than we hoped. Our admins are stretched thin.", 9.0),
        ("Maya Chen", "What would make the next phase easier?", 16.0),
    ]


def test_speaker_turn_paragraphs_read_as_turns():
    parsed = docx_parser.parse_bytes(make_docx(["Jordan: Is security review the blocker?",
                                                "Alex: Yes. It takes our team a month.",
                                                "Jordan: We can send a SOC 2 report today."]))
    assert [(u.speaker, u.text) for u in parsed.utterances] == [
        ("Jordan", "Is security review the blocker?"), ("Alex", "Yes. It takes our team a month."),
        ("Jordan", "We can send a SOC 2 report today.")]


def test_soft_line_breaks_inside_a_paragraph_separate_lines():
    document = docx.Document()
    for name, time, text in [("Maya Chen", "0:03", "Pricing first?"), ("Rachel Ortiz", "0:07", "Sure.")]:
        paragraph = document.add_paragraph(f"{name}  {time}")
        paragraph.add_run().add_break()
        paragraph.add_run(text)
    out = io.BytesIO()
    document.save(out)
    parsed = docx_parser.parse_bytes(out.getvalue())
    assert [(u.speaker, u.text) for u in parsed.utterances] == [("Maya Chen", "Pricing first?"),
                                                                ("Rachel Ortiz", "Sure.")]


def test_text_laid_out_in_a_table_is_not_lost():
    parsed = docx_parser.parse_bytes(make_docx(["Call notes"], table=[["Sam:", "The contract auto-renews."],
                                                                      ["Nina:", "We did not know that."]]))
    text = " ".join(u.text for u in parsed.utterances)
    assert "The contract auto-renews." in text and "We did not know that." in text


def test_the_document_title_becomes_the_transcript_title():
    parsed = docx_parser.parse_bytes(make_docx(OTTER, title="Acme onboarding check-in"))
    assert parsed.meta["title"] == "Acme onboarding check-in"


def test_the_registry_routes_docx_bytes_to_the_docx_parser():
    parsed = parse_bytes(make_docx(OTTER), "call.docx")
    assert parsed.format.startswith("docx:")
    assert parsed.utterances[0].speaker == "Maya Chen"


# -- sniffing and errors ---------------------------------------------------------------------------------------

def test_sniff_claims_zip_archives_only():
    assert docx_parser.sniff_bytes(make_docx(OTTER))
    assert docx_parser.sniff_bytes(b"PK\x03\x04 damaged")
    assert not docx_parser.sniff_bytes(b"Maya: PK is not a zip")
    assert not docx_parser.sniff_bytes(b"%PDF-1.7")


def zip_with(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def error_of(data: bytes) -> InsightsError:
    with pytest.raises(InsightsError) as err:
        parse_bytes(data, "call.docx")
    assert err.value.file == "call.docx"
    return err.value


def test_a_truncated_docx_is_a_document_error():
    err = error_of(make_docx(OTTER)[:700])
    assert err.code == "E205"
    assert "damaged" in err.message


def test_a_zip_without_a_word_document_is_a_document_error_not_garbled_text():
    err = error_of(zip_with({"notes.txt": b"Maya: hello"}))
    assert err.code == "E205"
    assert "word/document.xml" in err.message


def test_a_docx_whose_data_fails_its_checksum_is_a_document_error():
    data = bytearray(zip_with({"word/document.xml": b"<w:document>" + b"x" * 400 + b"</w:document>"}))
    payload = data.index(b"word/document.xml") + len("word/document.xml") + 5
    data[payload] ^= 0xFF
    err = error_of(bytes(data))
    assert err.code == "E205"
    assert "checksum" in err.message


def test_a_docx_with_malformed_xml_inside_is_a_document_error():
    err = error_of(zip_with({"[Content_Types].xml": b"<Types", "word/document.xml": b"<not xml"}))
    assert err.code == "E205"


def test_an_empty_document_says_it_holds_no_text():
    assert error_of(make_docx(["", "   "])).code == "E206"
