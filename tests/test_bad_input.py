"""Bad input gets a coded error that names the file (and the line, where there is one), or a sensible result.

The files are the ones that really turn up in a shared transcripts folder: empty exports, a PDF saved as .txt,
a download cut off half way, captions edited by hand, text re-saved by a Windows editor, a runaway single-line
dump, a one-line note. Whatever they are, ``ingest_paths`` records the failure and goes on with the batch.
"""
from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from insights.errors import InsightsError
from insights.ingest import ingest_paths
from insights.parse import DEFAULT_MAX_BYTES, load_transcript
from insights.store import Store

TURNS = "Dana Ruiz: We keep losing deals at the security review.\nSam Ortiz: How long does the review take?\n"


def write(folder: Path, name: str, content: bytes | str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def error_for(path: Path, **kwargs) -> InsightsError:
    """The error loading ``path`` raises; fails the test if it loads, or raises anything else."""
    with pytest.raises(InsightsError) as caught:
        load_transcript(path, **kwargs)
    err = caught.value
    assert err.file == str(path), "every error names the file it is about"
    return err


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# -- empty and whitespace-only ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, content", [
    ("empty.txt", b""),
    ("empty.vtt", b""),
    ("empty.json", b""),
    ("blank.txt", b"   \n\t\r\n  \n"),
    ("bom-only.txt", b"\xef\xbb\xbf"),                       # UTF-8 byte order mark and nothing else
    ("utf16-blank.srt", b"\xff\xfe \x00\n\x00\t\x00"),       # UTF-16 spaces and newlines
])
def test_empty_and_whitespace_only_files_are_refused_as_empty(tmp_path, name, content):
    err = error_for(write(tmp_path, name, content))
    assert err.code == "E102"
    assert "empty" in err.message


def test_a_caption_file_with_a_header_and_no_cues_has_no_speech(tmp_path):
    assert error_for(write(tmp_path, "silent.vtt", "WEBVTT\n\n")).code == "E204"


def test_a_caption_file_whose_cues_are_all_empty_has_no_speech(tmp_path):
    content = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\n00:00:03.000 --> 00:00:04.000\n\n"
    assert error_for(write(tmp_path, "blank-cues.vtt", content)).code == "E204"


# -- binary files with a transcript extension ---------------------------------------------------------------------

@pytest.mark.parametrize("name, content, what", [
    ("board-deck.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "PDF document"),
    ("screenshot.vtt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "PNG image"),
    ("recording.srt", b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x00", "MP3 audio"),
    ("notes.md", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(range(40)), "gzip archive"),
    ("corpus.json", b"SQLite format 3\x00" + bytes(4096), "NUL bytes"),     # no magic we know, mostly NULs
])
def test_binary_files_named_like_transcripts_are_refused_saying_what_they_are(tmp_path, name, content, what):
    err = error_for(write(tmp_path, name, content))
    assert err.code == "E103"
    assert what in err.message


@pytest.mark.parametrize("name", ["archive.txt", "archive.json", "archive.docx"])
def test_a_zip_that_is_not_a_word_document_is_an_invalid_document_whatever_its_extension(tmp_path, name):
    content = zip_bytes({"call.mp3": b"\x00" * 64, "notes/readme.txt": b"hello"})
    err = error_for(write(tmp_path, name, content))
    assert err.code == "E205"
    assert "word/document.xml" in err.message and "2 entries" in err.message


def test_a_truncated_word_document_is_an_invalid_document(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("Dana Ruiz: the rollout slipped again.")
    buffer = io.BytesIO()
    document.save(buffer)
    err = error_for(write(tmp_path, "cut.docx", buffer.getvalue()[:2000]))
    assert err.code == "E205"


# -- JSON: truncated or of the wrong shape ------------------------------------------------------------------------

def test_truncated_json_is_invalid_json_naming_the_line_where_it_breaks(tmp_path):
    content = ('{"segments": [\n  {"start": 0.0, "end": 2.0, "text": "We lost the pilot."},\n'
               '  {"start": 2.0, "end": 4.5, "text": "Because the onboar')
    err = error_for(write(tmp_path, "cut.json", content))
    assert (err.code, err.line) == ("E201", 3)
    assert "line 3" in err.message


@pytest.mark.parametrize("content, detail", [
    ({"id": "tx_81", "status": "completed"}, "found keys id, status"),
    ({"segments": "none yet"}, "`segments` is a str"),
    ({"results": {"channels": "mono"}}, "`results.channels` is a str"),
    ([{"id": 1}, {"id": 2}], "expected a list of segments with text"),
    ([], "a top-level list of 0 items"),
])
def test_json_of_a_shape_no_service_writes_is_refused_saying_what_was_found(tmp_path, content, detail):
    err = error_for(write(tmp_path, "odd.json", json.dumps(content)))
    assert err.code == "E202"
    assert detail in err.message


def test_json_of_a_known_shape_without_any_text_holds_no_transcript(tmp_path):
    content = {"utterances": [{"speaker": "A", "start": 0, "end": 900, "text": ""}]}
    err = error_for(write(tmp_path, "silent.json", json.dumps(content)))
    assert err.code == "E206" and "assemblyai-json" in err.message


# -- captions: missing header, broken timings ----------------------------------------------------------------------

def test_a_webvtt_file_without_its_header_is_still_read_and_says_so(tmp_path):
    content = ("00:00:01.000 --> 00:00:03.500\nDana Ruiz: The review takes six weeks.\n\n"
               "00:00:04.000 --> 00:00:06.000\nSam Ortiz: That is a long time.\n")
    t = load_transcript(write(tmp_path, "headless.vtt", content))
    assert t.format == "webvtt"
    assert "no WEBVTT header" in t.metadata["note"]
    assert [(u.speaker, u.text, u.start) for u in t.utterances] == [
        ("Dana Ruiz", "The review takes six weeks.", 1.0), ("Sam Ortiz", "That is a long time.", 4.0)]


@pytest.mark.parametrize("timing, problem", [
    ("00:00:0x,000 --> 00:00:06,000", "is not `start --> end`"),        # a letter in the time
    ("00:61:04,000 --> 00:62:00,000", "is not `start --> end`"),        # 61 minutes
    ("00:00:04,000 --> ", "is not `start --> end`"),                    # the end time is missing
    ("00:00:04,000 -> 00:00:06,000", "has no timing line before it"),   # a one-dash arrow is no timing
])
def test_an_srt_cue_with_a_broken_timing_is_a_timing_error_on_that_line(tmp_path, timing, problem):
    content = f"1\n00:00:01,000 --> 00:00:03,000\nThe first cue is fine.\n\n2\n{timing}\nThe second is not.\n"
    err = error_for(write(tmp_path, "broken.srt", content))
    assert (err.code, err.line) == ("E203", 6)
    assert problem in err.message
    assert "broken.srt:6" in str(err)


# -- encodings and control characters -----------------------------------------------------------------------------

def test_utf8_text_with_a_stray_windows_1252_byte_keeps_every_accent_and_reads_the_stray_byte(tmp_path):
    """A smart quote pasted in from a Windows editor must not turn every "é" of the file into "Ã©"."""
    text = "José Núñez: The café’s rollout was late.\nRenée Böhm: Naïve question: why?\n"
    content = text.encode("utf-8").replace("’".encode("utf-8"), b"\x92")
    t = load_transcript(write(tmp_path, "mixed.txt", content))
    assert [s.label for s in t.speakers] == ["José Núñez", "Renée Böhm"]
    assert t.utterances[0].text == "The café’s rollout was late."
    assert t.metadata["encoding"] == "utf-8 (with 1 stray cp1252 byte)"


def test_a_whole_file_in_windows_1252_is_read_as_windows_1252(tmp_path):
    content = "José Núñez: “Too expensive,” they said.\nRenée Böhm: And then?\n".encode("cp1252")
    t = load_transcript(write(tmp_path, "ansi.txt", content))
    assert t.metadata["encoding"] == "cp1252"
    assert t.utterances[0].text == "“Too expensive,” they said."


def test_control_characters_are_dropped_and_the_words_around_them_kept(tmp_path):
    content = b"Dana:\x00 we lost\x07 the deal\x1b\nSam: why\x7f exactly?\x0cDana: the price.\n"
    t = load_transcript(write(tmp_path, "noisy.txt", content))
    assert [(u.speaker, u.text) for u in t.utterances] == [
        ("Dana", "we lost the deal"), ("Sam", "why exactly?"), ("Dana", "the price.")]


def test_text_with_a_broken_utf16_byte_order_mark_is_an_encoding_error(tmp_path):
    err = error_for(write(tmp_path, "odd.txt", b"\xff\xfe" + "Dana: hi".encode("utf-16-le") + b"\x00"))
    assert err.code == "E104" and "utf-16-le" in err.message


# -- size: a runaway single-line file and the configurable cap -------------------------------------------------

def fifty_megabyte_line(folder: Path) -> Path:
    sentence = b"we compared three vendors and the rollout took longer than planned "
    path = folder / "runaway.txt"
    folder.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        chunk = sentence * (1024 * 1024 // len(sentence))
        while out.tell() < 50 * 1024 * 1024:
            out.write(chunk)
    return path


def test_a_fifty_megabyte_single_line_file_is_refused_by_the_default_cap_without_being_read(tmp_path, monkeypatch):
    path = fifty_megabyte_line(tmp_path)

    def read_bytes(self):
        raise AssertionError("the cap must be checked before the file is read into memory")

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    err = error_for(path)
    assert err.code == "E105"
    assert f"> {DEFAULT_MAX_BYTES:,}" in err.message and f"{path.stat().st_size:,} bytes" in err.message


def test_the_size_cap_is_configurable_and_inclusive(tmp_path):
    path = write(tmp_path, "call.txt", TURNS)
    size = path.stat().st_size
    assert load_transcript(path, max_bytes=size).words > 0               # exactly at the cap: read
    err = error_for(path, max_bytes=size - 1)                            # one byte over: refused
    assert err.code == "E105" and f"{size:,} bytes > {size - 1:,}" in err.message


def test_a_raised_cap_lets_a_long_single_line_through_as_one_paragraph(tmp_path):
    """Past the cap nothing blows up either: a 2 MB line without speakers is read as prose."""
    sentence = "we compared three vendors and the rollout took longer than planned. "
    path = write(tmp_path, "long.txt", sentence * (2 * 1024 * 1024 // len(sentence)))
    with pytest.raises(InsightsError):
        load_transcript(path, max_bytes=1024 * 1024)
    t = load_transcript(path, max_bytes=4 * 1024 * 1024)
    assert t.format == "paragraphs" and len(t.utterances) == 1
    assert t.words == len(path.read_text().split())


def test_ingest_refuses_an_oversized_file_with_the_cap_it_was_given_and_goes_on(tmp_path):
    folder = tmp_path / "calls"
    big = fifty_megabyte_line(folder)
    small = write(folder, "small.txt", TURNS)
    with Store(tmp_path / "corpus.sqlite") as store:
        results = {Path(r.path).name: r for r in ingest_paths([folder], store, max_bytes=1024)}
        assert results[big.name].status == "failed" and results[big.name].error.code == "E105"
        assert "> 1,024" in results[big.name].error.message
        assert results[small.name].status == "added"
        assert [f["code"] for f in store.failures()] == ["E105"]


# -- tiny transcripts: one speaker, one word -----------------------------------------------------------------------

def test_a_monologue_with_one_speaker_is_read_as_that_speakers_turns(tmp_path):
    content = ("Dana Ruiz: We need this live by March.\nDana Ruiz: The old system crashes weekly.\n"
               "Dana Ruiz: And support never answers.\n")
    t = load_transcript(write(tmp_path, "monologue.txt", content))
    assert t.format == "speaker-turns"
    assert [s.label for s in t.speakers] == ["Dana Ruiz"]
    assert t.utterances[0].text.startswith("We need this live by March.")
    assert t.words == 15


def test_a_captions_file_with_one_speaker_is_read(tmp_path):
    content = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Dana Ruiz>Thanks everyone for joining.</v>\n"
    t = load_transcript(write(tmp_path, "one-voice.vtt", content))
    assert [(u.speaker, u.text) for u in t.utterances] == [("Dana Ruiz", "Thanks everyone for joining.")]


@pytest.mark.parametrize("content", ["Hello", "Dana: hello", "Okay.\n"])
def test_one_word_is_no_transcript_and_the_error_names_its_line(tmp_path, content):
    err = error_for(write(tmp_path, "word.txt", content))
    assert (err.code, err.line) == ("E206", 1)


def test_a_caption_with_one_word_is_a_transcript_of_one_word(tmp_path):
    t = load_transcript(write(tmp_path, "word.srt", "1\n00:00:00,000 --> 00:00:00,400\nYes.\n"))
    assert (t.format, t.words, t.utterances[0].text) == ("srt", 1, "Yes.")


# -- the batch goes on ----------------------------------------------------------------------------------------------

def test_one_folder_of_bad_files_and_good_ones_fails_each_bad_one_with_its_code_and_stores_the_rest(tmp_path):
    folder = tmp_path / "inbox"
    expected = {
        "empty.txt": ("E102", b""),
        "deck.txt": ("E103", b"%PDF-1.4\n" + bytes(200)),
        "cut.json": ("E201", b'{"segments": [{"text": "hel'),
        "odd.json": ("E202", b'{"status": "queued"}'),
        "broken.srt": ("E203", b"1\n00:00:01,000 --> 00:00:xx,000\nhello\n"),
        "archive.docx": ("E205", zip_bytes({"a.txt": b"x"})),
        "word.txt": ("E206", b"Hello"),
    }
    for name, (_, content) in expected.items():
        write(folder, name, content)
    write(folder, "good.txt", TURNS)
    with Store(tmp_path / "corpus.sqlite") as store:
        results = ingest_paths([folder, tmp_path / "missing-folder"], store)
        by_name = {Path(r.path).name: r for r in results}
        assert by_name["good.txt"].status == "added"
        assert by_name["missing-folder"].error.code == "E101"
        for name, (code, _) in expected.items():
            assert by_name[name].status == "failed"
            assert (by_name[name].error.code, by_name[name].error.file) == (code, (folder / name).as_posix())
            assert by_name[name].trace is None, "a coded error is no bug report"
        assert store.count() == 1
        assert sorted(f["code"] for f in store.failures()) == sorted(c for c, _ in expected.values())


def test_ten_thousand_small_files_are_ingested_once_and_a_second_run_adds_nothing(tmp_path):
    folder = tmp_path / "calls"
    for batch in range(10):
        sub = folder / f"week{batch:02d}"
        sub.mkdir(parents=True)
        for k in range(1000):
            n = batch * 1000 + k
            if n % 500 == 7:              # 20 damaged files among them
                (sub / f"call{n:05d}.vtt").write_bytes(b"WEBVTT\n\n00:00:01.000 --> 00:00:zz.000\nhi\n")
            else:
                (sub / f"call{n:05d}.txt").write_bytes(
                    f"Rep: Thanks for joining call {n}.\nBuyer: We need {n} seats by spring.\n".encode())
    with Store(tmp_path / "corpus.sqlite") as store:
        first = ingest_paths([folder], store)
        assert len(first) == 10_000
        statuses = [r.status for r in first]
        assert statuses.count("added") == 9_980 and statuses.count("failed") == 20
        assert {r.error.code for r in first if r.failed} == {"E203"}
        assert store.count() == 9_980
        assert len(store.failures()) == 20
        rows = store.conn.execute("SELECT COUNT(*) FROM utterances").fetchone()[0]
        assert rows == 2 * 9_980

        second = ingest_paths([folder], store)
        assert [r.status for r in second].count("unchanged") == 9_980
        assert store.count() == 9_980
        assert store.conn.execute("SELECT COUNT(*) FROM utterances").fetchone()[0] == rows
        assert store.conn.execute("SELECT COUNT(*) FROM transcripts").fetchone()[0] == 9_980
    # Removed here rather than left to pytest's clean-up of old runs, which would charge a later, unrelated run.
    shutil.rmtree(folder)


def test_a_weekly_rerun_recognises_stored_files_by_their_bytes_without_parsing_them(tmp_path, monkeypatch):
    import insights.ingest as ingest

    folder = tmp_path / "week"
    folder.mkdir()
    (folder / "a.txt").write_text("Rep: Thanks for joining.\nBuyer: We lose two days a month to reconciliation.\n")
    (folder / "b.txt").write_text("Rep: Hi.\nBuyer: Our contract runs to June.\n")
    (folder / "b.meta.toml").write_text('kind = "sales_call"\n')
    with Store(tmp_path / "corpus.sqlite") as store:
        assert [r.status for r in ingest_paths([folder], store, parse_unchanged=False)] == ["added", "added"]
        parsed = []
        real = ingest.load_transcript
        monkeypatch.setattr(ingest, "load_transcript", lambda p, **kw: parsed.append(p.name) or real(p, **kw))
        (folder / "b.meta.toml").write_text('kind = "sales_call"\ntitle = "Renewal"\n')   # new metadata: a new version
        second = ingest_paths([folder], store, parse_unchanged=False)
        assert [(r.status, r.transcript is None) for r in second] == [("unchanged", True), ("new_version", False)]
        assert parsed == ["b.txt"]
        assert store.count() == 2
