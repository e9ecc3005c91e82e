"""Bytes → text: every encoding a transcript export arrives in reads back as the same words; binaries are refused."""
import codecs

import pytest

from insights.errors import InsightsError
from insights.parse.decode import decode, sniff_binary

LINE = "Rachel: The renewal is “on hold” until the café budget clears — sorry.\nMaya: Understood.\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_text_with_a_byte_order_mark_decodes_in_that_encoding_and_drops_the_mark(encoding):
    bom = {"utf-8": codecs.BOM_UTF8, "utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
           "utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}[encoding]
    text, found = decode(bom + LINE.encode(encoding))
    assert (text, found) == (LINE, encoding)
    assert not text.startswith("\ufeff")


def test_utf32_le_is_not_mistaken_for_utf16_le_whose_mark_it_starts_with():
    text, found = decode(codecs.BOM_UTF32_LE + "Hi".encode("utf-32-le"))
    assert (text, found) == ("Hi", "utf-32-le")


def test_utf8_without_a_mark_is_read_as_utf8():
    assert decode(LINE.encode("utf-8")) == (LINE, "utf-8")


def test_windows_1252_with_crlf_keeps_curly_quotes_and_accents_and_uses_plain_newlines():
    data = LINE.replace("\n", "\r\n").encode("cp1252")
    text, found = decode(data)
    assert found == "cp1252"
    assert text == LINE
    assert "\r" not in text


def test_bytes_undefined_in_windows_1252_fall_back_to_latin_1_instead_of_failing():
    text, found = decode(b"Sam: caf\xe9 \x81 ok\n")
    assert found == "latin-1"
    assert text.startswith("Sam: café")


def test_old_mac_carriage_returns_become_newlines():
    assert decode(b"A: one\rB: two\r")[0] == "A: one\nB: two\n"


def test_control_characters_are_removed_but_tabs_and_newlines_stay():
    text, _ = decode(b"A:\tone\x07 two\x00\x1b three\nB: four")
    assert text == "A:\tone two three\nB: four"


def test_word_soft_line_breaks_and_page_breaks_separate_words():
    assert decode(b"Maya: pricing\x0bRachel: too high\x0cnext page")[0] == "Maya: pricing\nRachel: too high\nnext page"


def test_unicode_line_and_paragraph_separators_become_newlines():
    assert decode("a\u2028b\u2029c".encode("utf-8"))[0] == "a\nb\nc"


@pytest.mark.parametrize("magic, what", [
    (b"%PDF-1.7\n", "PDF document"), (b"\x89PNG\r\n\x1a\n", "PNG image"), (b"ID3\x04\x00", "MP3 audio"),
    (b"RIFF\x24\x00\x00\x00WAVE", "WAV/AVI media"), (b"\x1f\x8b\x08\x00", "gzip archive"),
    (b"\x00\x00\x00\x20ftypM4A ", "MP4/M4A media"),
])
def test_known_binary_files_are_refused_naming_what_they_are(magic, what):
    with pytest.raises(InsightsError) as err:
        decode(magic + b"\x00\x01\x02" * 50)
    assert err.value.code == "E103"
    assert what in str(err.value)
    assert sniff_binary(magic + b"rest") == what


def test_nul_heavy_content_without_a_mark_is_refused_as_binary():
    with pytest.raises(InsightsError) as err:
        decode("Maya: hello there".encode("utf-16-le"))       # UTF-16 without its BOM looks like this
    assert err.value.code == "E103"


def test_a_few_stray_nul_bytes_in_text_are_tolerated_and_dropped():
    text, found = decode(b"Maya: " + b"x" * 200 + b"\x00 end")
    assert found == "utf-8"
    assert "\x00" not in text and text.endswith("x end")


def test_a_utf8_mark_followed_by_invalid_utf8_is_an_encoding_error_naming_the_byte():
    with pytest.raises(InsightsError) as err:
        decode(codecs.BOM_UTF8 + b"ok \xff\xfe broken")
    assert err.value.code == "E104"
    assert "byte 3" in str(err.value)


def test_plain_text_is_not_taken_for_a_binary_file():
    assert sniff_binary(b"Maya: hello") is None
