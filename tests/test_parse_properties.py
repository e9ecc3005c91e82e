"""Every parser, fed anything at all, either parses or raises ``InsightsError``: never another exception.

A transcript folder holds whatever people drop into it: half-written exports, re-saved files in the wrong
encoding, truncated downloads. The contract of ``insights.parse`` is that such a file gets a coded, actionable
error and the batch goes on. These properties feed the registry arbitrary bytes and text, and mutated copies of
one small valid file of every supported format (written here for the purpose), and check that contract, plus the
basic promises of a successful parse: at least one utterance, every utterance with text, times finite.

The regression tests at the end pin the crashes these properties found (each was fixed in the parser).
"""
from __future__ import annotations

import io
import json
import math
import zipfile
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insights.errors import CODES, InsightsError
from insights.parse import Parsed, assemble, parse_bytes, parse_text

# 150 examples a property keeps the whole module around half a minute; no deadline, since a first parse warms
# caches (BeautifulSoup, python-docx) and would trip hypothesis' timing check for no real reason.
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- the contract ----------------------------------------------------------------------------------------------

def check_contract(data: bytes | str, name: str = "fuzzed.txt") -> Parsed | InsightsError:
    """Parse and assemble like ``load_transcript`` does; return the result or the coded error, re-raise the rest.

    Assembling is included because it reads the metadata the file carries (front matter, Gong call data), which
    is input too.
    """
    try:
        parsed = parse_bytes(data, name) if isinstance(data, bytes) else parse_text(data, name)
        raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
        transcript = assemble(parsed, raw, name)
    except InsightsError as err:
        assert err.code in CODES
        assert err.file == name, "a parser error must name the file it is about"
        str(err)                  # the message renders
        return err
    assert parsed.utterances, "a successful parse has at least one utterance"
    for u in transcript.utterances:
        assert isinstance(u.text, str) and u.text.strip()
        for t in (u.start, u.end):
            assert t is None or (isinstance(t, float | int) and math.isfinite(t))
    json.dumps(transcript.metadata, default=str)     # the store can save it
    return parsed


# -- one small valid file of every format ------------------------------------------------------------------------

VALID_TEXT: dict[str, str] = {
    "zoom.vtt": """WEBVTT

1
00:00:02.100 --> 00:00:06.400
Priya Raman: Thanks for making time, I know quarter end is busy.

2
00:00:06.900 --> 00:00:11.000
Tom Okafor: Sure. Honestly our reporting takes two days every month.

3
00:00:11.500 --> 00:00:15.250
Priya Raman: Where does most of that time go?
""",
    "teams.vtt": """WEBVTT

a1b2c3d4-0001
0:0:1.210 --> 0:0:4.880
<v Mei Lin>We tried a spreadsheet first and it broke at fifty users.</v>

a1b2c3d4-0002
0:0:5.100 --> 0:0:8.020
<v Jonas Berg>That is the usual breaking point, yes.</v>
""",
    "captions.srt": """1
00:00:00,500 --> 00:00:03,000
HOST: Welcome back to the show.

2
00:00:03,200 --> 00:00:07,900
GUEST: Glad to be here. Pricing was our first worry.

3
00:00:08,000 --> 00:00:10,400
HOST: Let us start there.
""",
    "captions.sbv": """0:00:00.400,0:00:03.100
so the main issue is onboarding.

0:00:03.300,0:00:06.800
it takes new hires three weeks to get going.

0:00:07.000,0:00:09.500
and that is expensive for us
""",
    "whisper.json": json.dumps({
        "text": " We lose leads over the weekend. Nobody answers the form.",
        "language": "en",
        "segments": [
            {"id": 0, "start": 0.0, "end": 2.4, "text": " We lose leads over the weekend."},
            {"id": 1, "start": 2.4, "end": 4.9, "text": " Nobody answers the form."},
        ],
    }, indent=1),
    "whisperx.json": json.dumps({"segments": [
        {"start": 0.2, "end": 3.0, "text": "How do you handle renewals today?", "speaker": "SPEAKER_00"},
        {"start": 3.4, "end": 7.7, "text": "Mostly by email, which is painful.", "speaker": "SPEAKER_01"},
    ]}, indent=1),
    "assemblyai.json": json.dumps({
        "audio_url": "https://example.invalid/call.mp3", "language_code": "en_us",
        "text": "Is it secure? Yes, we are audited every year.",
        "utterances": [
            {"speaker": "A", "start": 120, "end": 1900, "text": "Is it secure?"},
            {"speaker": "B", "start": 2100, "end": 5200, "text": "Yes, we are audited every year."},
        ],
    }, indent=1),
    "deepgram.json": json.dumps({"results": {
        "channels": [{"alternatives": [{"transcript": "the rollout took forever it felt like moving house"}]}],
        "utterances": [
            {"speaker": 0, "start": 0.5, "end": 2.5, "transcript": "The rollout took forever."},
            {"speaker": 1, "start": 2.8, "end": 4.6, "transcript": "It felt like moving house."},
        ],
    }}, indent=1),
    "revai.json": json.dumps({"monologues": [
        {"speaker": 0, "speaker_name": "Ana", "elements": [
            {"type": "text", "value": "Budget", "ts": 0.3, "end_ts": 0.8},
            {"type": "punct", "value": " "},
            {"type": "text", "value": "is", "ts": 0.8, "end_ts": 0.9},
            {"type": "punct", "value": " "},
            {"type": "text", "value": "frozen", "ts": 0.9, "end_ts": 1.4},
            {"type": "punct", "value": "."}]},
        {"speaker": 1, "elements": [
            {"type": "text", "value": "Understood", "ts": 1.8, "end_ts": 2.4},
            {"type": "punct", "value": "."}]},
    ]}, indent=1),
    "podcast20.json": json.dumps({"version": "1.0.0", "segments": [
        {"speaker": "Host", "startTime": 0.0, "endTime": 3.5, "body": "Today we talk about churn."},
        {"speaker": "Guest", "startTime": 3.6, "endTime": 8.1, "body": "Churn is a leaky bucket, basically."},
    ]}, indent=1),
    "gong.json": json.dumps({
        "callTranscripts": [{"callId": "7001", "transcript": [
            {"speakerId": "111", "topic": "Pricing", "sentences": [
                {"start": 1000, "end": 3500, "text": "The price is higher than we planned for."}]},
            {"speakerId": "222", "sentences": [
                {"start": 3800, "end": 6000, "text": "Let me show where the savings come from."}]},
        ]}],
        "calls": [{"metaData": {"id": "7001", "title": "Acme renewal", "started": "2026-03-04T15:00:00Z"}}],
        "parties": [{"speakerId": "111", "name": "Rosa Diaz", "affiliation": "External", "title": "CFO"},
                    {"speakerId": "222", "name": "Ken Ito", "affiliation": "Internal"}],
    }, indent=1),
    "turns.txt": """Sam Carter: Hi Elena, thanks for joining.
Elena Voss: Happy to. We are drowning in manual invoices.
Sam Carter: How many a month, roughly?
Elena Voss: About four hundred, and two people do nothing else.
""",
    "otter.txt": """Maria Gomez  0:04
So what made you look at tools like ours?

Dev Patel  0:09
Our support queue doubled and hiring cannot keep up.

Maria Gomez  0:15
That sounds stressful.
""",
    "zoom.txt": """[Lena Fischer] 10:02:11
Can you walk me through the approval flow?

[Omar Haddad] 10:02:19
Every order goes through three managers, it is like a relay race.

[Lena Fischer] 10:02:30
And where does it stall?
""",
    "timestamps.txt": """0:00
we switched vendors last year because the old one kept crashing

0:12
the new one is fine but the migration cost us a month

0:25
next time we want a proper trial first
""",
    "frontmatter.md": """---
title: Discovery call with Northwind
date: 2026-02-17
kind: sales_call
---
Alex Kim: What does your team use for forecasting today?
Jordan Lee: Mostly gut feeling and a shared sheet.
Alex Kim: How often is the forecast wrong?
Jordan Lee: Every quarter, by a lot.
""",
    "markdown.md": """# Episode 12

- **Nina:** Welcome to the podcast, everyone.
- **Raj:** Thanks, glad to be on.
- **Nina:** Let us talk about security reviews.
- **Raj:** They are the longest part of every deal we do.
""",
    "page.html": """<!DOCTYPE html>
<html><head><title>Interview: scaling support</title>
<meta property="article:published_time" content="2026-01-20T09:00:00Z"></head>
<body>
<nav><a href="/">Home</a> <a href="/blog">Blog</a></nav>
<article>
<h1>Interview: scaling support</h1>
<p><b>Chris:</b> How big was the team when you started?</p>
<p><b>Fatima:</b> Three people, answering everything by hand.</p>
<p><b>Chris:</b> And today?</p>
<p><b>Fatima:</b> Twelve, and the backlog is still growing.</p>
</article>
<footer>Subscribe to our newsletter</footer>
</body></html>
""",
}


@lru_cache(maxsize=1)
def docx_fixture() -> bytes:
    """A small Word transcript in the Otter layout, made with python-docx (so it is a real, valid .docx)."""
    import docx

    document = docx.Document()
    document.core_properties.title = "Kickoff with Harbor Logistics"
    for para in ["Beth Adams  0:03", "Thanks for coming, shall we start with the timeline?", "",
                 "Victor Chen  0:08", "Yes, we need this live before the peak season.", "",
                 "Beth Adams  0:14", "Then data migration is the first risk."]:
        document.add_paragraph(para)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def valid_fixtures() -> dict[str, bytes]:
    return {**{name: text.encode("utf-8") for name, text in VALID_TEXT.items()}, "otter.docx": docx_fixture()}


@pytest.mark.parametrize("name", sorted([*VALID_TEXT, "otter.docx"]))
def test_every_fixture_is_a_valid_transcript_before_mutation(name):
    """The mutations below start from files that parse: otherwise the properties would test nothing."""
    result = check_contract(valid_fixtures()[name], name)
    assert isinstance(result, Parsed), result
    assert len(result.utterances) >= 2


# -- mutations ---------------------------------------------------------------------------------------------------

# Characters that exports and copy-paste leave in text: NUL, BEL, ESC, form feed, DEL, C1 controls, BOMs,
# zero-width and bidi marks, line/paragraph separators.
_CONTROL_CHARS = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9d", "\ufeff",
                  "\u200b", "\u202e", "\u2028", "\u2029", "\r", "\t", "\ufffd"]
_ENCODINGS = ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252", "latin-1", "mac_roman",
              "cp437"]


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` after one to four random edits: the damage real files suffer."""
    data = original
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "truncate", "flip", "control", "encoding",
                                   "splice"]))
        lines = _lines(data)
        if op == "delete" and len(lines) > 1:
            del lines[draw(st.integers(0, len(lines) - 1))]
            data = b"\n".join(lines)
        elif op == "duplicate" and lines:
            k = draw(st.integers(0, len(lines) - 1))
            lines.insert(k, lines[k])
            data = b"\n".join(lines)
        elif op == "swap" and len(lines) > 1:
            a, b = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[a], lines[b] = lines[b], lines[a]
            data = b"\n".join(lines)
        elif op == "truncate" and data:
            data = data[:draw(st.integers(0, len(data)))]
        elif op == "flip" and data:
            k = draw(st.integers(0, len(data) - 1))
            data = data[:k] + bytes([data[k] ^ (1 << draw(st.integers(0, 7)))]) + data[k + 1:]
        elif op == "control":
            k = draw(st.integers(0, len(data)))
            char = draw(st.sampled_from(_CONTROL_CHARS)).encode("utf-8")
            data = data[:k] + char * draw(st.integers(1, 3)) + data[k:]
        elif op == "encoding":
            text = data.decode("utf-8", "replace")
            data = text.encode(draw(st.sampled_from(_ENCODINGS)), "replace")
        elif op == "splice":                              # a stray byte run: a cp1252 quote, a lone continuation
            k = draw(st.integers(0, len(data)))
            data = data[:k] + draw(st.binary(min_size=1, max_size=6)) + data[k:]
    return data


def _docx_with_document_xml(xml: bytes) -> bytes:
    """The valid docx fixture with its ``word/document.xml`` replaced (every other part intact)."""
    source = zipfile.ZipFile(io.BytesIO(docx_fixture()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, xml if item.filename == "word/document.xml" else source.read(item))
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(VALID_TEXT))
@PROPERTY
@given(data=st.data())
def test_mutated_files_of_every_text_format_parse_or_raise_a_coded_error(name, data):
    original = VALID_TEXT[name].encode("utf-8")
    check_contract(data.draw(mutated(original), label="mutated"), name)


@PROPERTY
@given(st.data())
def test_a_docx_with_damaged_bytes_parses_or_raises_a_coded_error(data):
    """Flipped or cut bytes in the ZIP container: CRC, header and deflate damage."""
    check_contract(data.draw(mutated(docx_fixture()), label="mutated docx"), "otter.docx")


@PROPERTY
@given(st.data())
def test_a_docx_with_damaged_document_xml_parses_or_raises_a_coded_error(data):
    """An intact ZIP whose document XML is damaged: the path through python-docx and lxml."""
    xml = zipfile.ZipFile(io.BytesIO(docx_fixture())).read("word/document.xml")
    check_contract(_docx_with_document_xml(data.draw(mutated(xml), label="mutated xml")), "otter.docx")


# -- arbitrary input ---------------------------------------------------------------------------------------------

# Starts that steer bytes into each branch of detection: BOMs, binary magic numbers, ZIP, JSON, captions, HTML.
_PREFIXES = [b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"%PDF-1.7\n", b"\x89PNG\r\n",
             b"PK\x03\x04", b"PK\x05\x06", b"{", b"[", b"[{", b"WEBVTT\n\n", b"1\n00:00:01,000 --> ",
             b"0:00:01.000,", b"<html><body>", b"---\n", b"+++\n", b"Name: "]


@PROPERTY
@given(st.sampled_from(_PREFIXES), st.binary(max_size=3000))
def test_arbitrary_bytes_parse_or_raise_a_coded_error(prefix, payload):
    check_contract(prefix + payload, "arbitrary.bin")


@PROPERTY
@given(st.text(max_size=3000))
def test_arbitrary_text_parses_or_raises_a_coded_error(text):
    check_contract(text, "arbitrary.txt")


# Fragments of every format's syntax, so random lines often look like something the sniffers claim.
_FRAGMENTS = st.sampled_from([
    "WEBVTT", "NOTE", "STYLE", "1", "42", "00:00:01.000 --> 00:00:02.000", "0:0:1.5 --> 0:0:2", "00:00:01,000 -->",
    "--> 00:00:05,000", "99:99:99.999 --> 00:00:01.000", "0:00:01.000,0:00:02.000", "0:00:01.000,", "<v Ann>",
    "</v>", "<c.yellow>", "<00:00:01.500>", "Ann: hello there", "BOB: fine thanks", "Speaker 1: yes", "Q:",
    "A: we did", "**Ann:** hi", "- **Bob:** ok", "### Ann", "[Ann] 10:02:11", "Ann  0:42", "0:42", "[00:01:02]",
    "(12:34) text", "---", "+++", "title: x", "date: 2026-02-30", "kind: podcast", "<p>", "</p>", "<div>",
    "<table><tr><td>Ann</td><td>0:01</td><td>hi</td></tr></table>", "<!DOCTYPE html>", "{", "}", "[", "]",
    '"segments": [', '{"text": "hi", "start": 1e999}', '"speaker": "²"', '"utterances": null', "null",
    "Transcribed by https://otter.ai", "[inaudible 00:03:49]", "", " ", "\t", "Why does it matter?",
    "We spend two days a month on this and it hurts.",
])


@PROPERTY
@given(st.lists(st.one_of(_FRAGMENTS, st.text(max_size=20)), max_size=25))
def test_lines_assembled_from_format_fragments_parse_or_raise_a_coded_error(lines):
    check_contract("\n".join(lines), "fragments.txt")


# -- regressions: crashes the properties and a review found, each fixed in the parser ------------------------------

_TURNS = "Dana: hello there\nSam: hi, how are you?\nDana: fine, thanks\nSam: good to hear\n"


def error_for(text: str, name: str = "bad.txt") -> InsightsError:
    with pytest.raises(InsightsError) as caught:
        parse_text(text, name)
    return caught.value


@pytest.mark.parametrize("timing, line", [
    ("9" * 400 + ":00:01.000 --> 00:00:02.000", 3),          # OverflowError: int too large for a float
    ("9" * 5000 + ":00:01.000 --> 00:00:02.000", 3),         # ValueError: over Python's 4,300-digit cap
    ("00:00:01." + "5" * 5000 + " --> 00:00:02.000", 3),
])
def test_a_caption_timing_with_an_absurd_digit_run_is_a_timing_error_on_its_line(timing, line):
    """Fixed in captions.parse_timestamp: a field of more than 9 digits is no time (was OverflowError/ValueError)."""
    err = error_for(f"WEBVTT\n\n{timing}\nhello\n", "long.vtt")
    assert (err.code, err.line, err.file) == ("E203", line, "long.vtt")


def test_an_sbv_timing_with_an_absurd_digit_run_is_a_timing_error():
    err = error_for("0:00:01." + "1" * 5000 + ",0:00:02.000\nhello\n", "long.sbv")
    assert (err.code, err.line) == ("E203", 1)


def test_a_json_number_longer_than_python_reads_is_invalid_json_not_a_crash():
    """Fixed in jsonfmt.parse: json.loads raises a bare ValueError (not JSONDecodeError) past 4,300 digits."""
    err = error_for('{"segments": [{"start": ' + "1" * 5000 + ', "text": "hi there"}]}', "big.json")
    assert err.code == "E201" and "4300 digits" in err.message


def test_a_json_speaker_written_with_a_superscript_digit_keeps_its_label():
    """Fixed in jsonfmt._label: "²".isdigit() is true but int("²") fails, which refused the whole file (E202)."""
    parsed = parse_text(json.dumps({"segments": [{"start": 0, "end": 1, "text": "Hello.", "speaker": "²"},
                                                 {"start": 1, "end": 2, "text": "Hi.", "speaker": "3"}]}))
    assert [u.speaker for u in parsed.utterances] == ["²", "Speaker 3"]


def test_an_html_page_nested_thousands_of_elements_deep_is_read_without_recursion():
    """Fixed in markup._render: it recursed once per element and hit RecursionError past depth ~1,000."""
    turns = "".join(f"<p>{line}</p>" for line in _TURNS.splitlines())
    page = "<html><body>" + "<div>" * 1500 + turns + "</div>" * 1500 + "</body></html>"
    parsed = parse_text(page, "deep.html")
    assert parsed.format == "html:speaker-turns"
    assert [u.speaker for u in parsed.utterances] == ["Dana", "Sam", "Dana", "Sam"]


@pytest.mark.parametrize("front", [
    "---\ndate: 2026-13-45\n---\n",                  # YAML builds the date after parsing: ValueError
    "---\nrecorded: !!timestamp 2026-02-30\n---\n",
    "---\nscore: !!float abc\n---\n",
    "---\nx: " + "1" * 5000 + "\n---\n",             # 4,300-digit cap
    "---\nx: " + "[" * 3000 + "\n---\n",             # RecursionError in the YAML scanner
    "+++\nx = " + "1" * 5000 + "\n+++\n",
    "+++\nx = " + "[" * 3000 + "]" * 3000 + "\n+++\n",
])
def test_unreadable_front_matter_is_a_metadata_error_naming_the_file(front):
    """Fixed in metadata.split_front_matter: only YAMLError/TOMLDecodeError were caught."""
    err = error_for(front + _TURNS, "call.md")
    assert (err.code, err.file) == ("E301", "call.md")


@pytest.mark.parametrize("sidecar, content", [
    ("call.meta.json", '{"x": ' + "1" * 5000 + "}"),
    ("call.meta.json", "[" * 100_000),
    ("call.meta.toml", "x = " + "[" * 3000 + "]" * 3000),
    ("call.meta.json", '{"participants": [{"label": "Dana", "name": 7}]}'),
])
def test_an_unreadable_sidecar_is_a_metadata_error_naming_the_sidecar(tmp_path, sidecar, content):
    """Fixed in metadata.read_sidecar (ValueError/RecursionError) and validate (a participant field that is not
    text was stored as is and would break every later stage that treats a name as a string)."""
    from insights.parse import load_transcript

    (tmp_path / "call.txt").write_text(_TURNS, encoding="utf-8")
    (tmp_path / sidecar).write_text(content, encoding="utf-8")
    with pytest.raises(InsightsError) as caught:
        load_transcript(tmp_path / "call.txt")
    assert caught.value.code == "E301"
    assert caught.value.file == str(tmp_path / sidecar)


def test_a_participant_title_that_is_a_table_is_refused_in_front_matter():
    err = error_for("---\nparticipants:\n  - {label: Dana, title: {a: 1}}\n---\n" + _TURNS)
    assert err.code == "E301" and "title" in err.message


def _docx_with_broken_deflate() -> bytes:
    """The docx fixture with one byte of ``word/document.xml``'s compressed data changed so that inflating it
    fails (zlib.error), while the ZIP directory and headers stay intact."""
    import zlib

    data = bytearray(docx_fixture())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("word/document.xml")
    name_len = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little")
    extra_len = int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    for k in range(start, start + info.compress_size):
        for bit in range(8):
            trial = bytearray(data)
            trial[k] ^= 1 << bit
            try:
                zlib.decompressobj(-15).decompress(bytes(trial[start:start + info.compress_size]))
            except zlib.error:
                return bytes(trial)
    raise AssertionError("no single-bit change breaks the deflate stream")


def test_a_docx_whose_compressed_text_is_damaged_is_an_invalid_document_error():
    """Fixed in docx._read_lines: zlib.error (not an OSError) escaped from ZipFile.testzip."""
    with pytest.raises(InsightsError) as caught:
        parse_bytes(_docx_with_broken_deflate(), "call.docx")
    assert (caught.value.code, caught.value.file) == ("E205", "call.docx")
