"""`insights serve`: what a rep sees when submitting a call through the web form, and what the app refuses.

Every test runs the real models (the session fixture) against a real SQLite store in tmp_path, through Starlette's
TestClient with the app's lifespan (so the single writer thread is started and stopped as in production).
"""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from insights.store import Store
from insights.web import check_content, create_app, display_name, report_weeks, safe_join, upload_extension

BASE = "http://127.0.0.1"       # the app answers loopback Host names only


def sales_call(variant: int = 0) -> str:
    """A short discovery call with a CFO: two pain points, two objections each answered by the rep, one analogy.
    ``variant`` changes the numbers, so each variant is a different file (content) for the store."""
    days, entities = 11 + variant, 4 + variant % 3
    return f"""\
[00:00:05] Dana Whitfield: Thanks for making time today, Priya. I'm Dana, an account executive here at Lumen.
[00:00:12] Priya Raman: Happy to. I'm the CFO at Northwind Freight, so budgets and forecasts land on my desk.
[00:00:25] Dana Whitfield: What prompted you to take the call?
[00:00:31] Priya Raman: Honestly, closing the books takes us {days} days every month because the numbers live in \
{entities} different spreadsheets. My team spends most of that time chasing people for corrections.
[00:01:02] Dana Whitfield: That sounds exhausting. How does that affect the board pack?
[00:01:10] Priya Raman: We send the board numbers that are already three weeks old. Forecasting from that is like \
steering a ship by looking at its wake.
[00:01:40] Dana Whitfield: We help finance teams pull those sources into one ledger view, usually within the \
first month.
[00:01:52] Priya Raman: The price you quoted is well above what we budgeted for this year, and I can't justify it to \
our CEO right now.
[00:02:10] Dana Whitfield: Understood. Many finance teams start with one entity and phase the rest in, which keeps \
the first-year cost down.
[00:02:25] Priya Raman: We also signed a three-year contract with our current vendor last spring, so switching now \
would mean paying twice.
[00:02:45] Dana Whitfield: We can time the start to your renewal and credit the overlap months.
[00:03:00] Priya Raman: Okay. Send me a proposal with the phased option and I'll review it with our controller.
"""


CALL = sales_call().encode()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)


def form(**fields: str) -> dict[str, str]:
    return {"rep": "Dana Whitfield", "why": "first time a CFO compared stale numbers to steering by the wake",
            "outcome": "open", **fields}


@pytest.fixture
def site(tmp_path, models):
    """A factory of running apps on one tmp corpus: ``site(**create_app_kwargs) -> TestClient`` (closed after)."""
    clients = []

    def make(**kwargs) -> TestClient:
        kwargs.setdefault("reports_dir", tmp_path / "reports")
        app = create_app(tmp_path / "corpus.sqlite", models=models, **kwargs)
        client = TestClient(app, base_url=BASE)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def submissions(tmp_path) -> list[dict]:
    with Store(tmp_path / "corpus.sqlite") as store:
        return store.submissions()


def uploads(tmp_path) -> list[Path]:
    folder = tmp_path / "uploads"
    return sorted(folder.iterdir()) if folder.exists() else []


# --- submitting ----------------------------------------------------------------------------------------------------

def test_the_form_asks_for_the_file_rep_reason_and_outcome_and_loads_nothing_from_elsewhere(site):
    page = site().get("/")
    assert page.status_code == 200
    for name in ('name="file"', 'name="rep"', 'name="why"', 'value="won"', 'value="lost"', 'value="open"',
                 'name="account"', 'name="buyer_title"'):
        assert name in page.text
    assert 'name="token"' not in page.text        # no token configured, no token field
    assert "http://" not in page.text and "https://" not in page.text and "<script" not in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_an_uploaded_call_shows_the_persona_and_the_quotes_with_times_and_replies(site, tmp_path):
    page = site().post("/submit", data=form(), files={"file": ("northwind-cfo.txt", CALL, "text/plain")})
    assert page.status_code == 200, page.text
    assert "Thanks, Dana Whitfield" in page.text
    assert "CFO / Finance" in page.text and "Priya Raman" in page.text
    assert "closing the books takes us 11 days every month" in page.text          # a pain point, verbatim
    assert "steering a ship by looking at its wake" in page.text                 # the analogy
    assert "[1:52]" in page.text and "well above what we budgeted" in page.text  # objection with its time
    assert "phase the rest in" in page.text                                      # and the rep's reply
    [sub] = submissions(tmp_path)
    assert (sub["rep"], sub["channel"], sub["outcome"]) == ("Dana Whitfield", "web", "open")
    with Store(tmp_path / "corpus.sqlite") as store:
        assert store.get(sub["transcript_id"]).source == "upload:northwind-cfo.txt"


def test_the_upload_is_kept_under_a_generated_name_in_the_upload_folder(site, tmp_path):
    site().post("/submit", data=form(), files={"file": ("northwind-cfo.txt", CALL, "text/plain")})
    [kept] = uploads(tmp_path)
    assert kept.suffix == ".txt" and len(kept.stem) == 32 and int(kept.stem, 16) >= 0   # uuid4 hex
    assert kept.read_bytes() == CALL


def test_a_filename_with_a_path_never_becomes_a_path(site, tmp_path):
    (tmp_path / "www").mkdir()
    client = site(upload_dir=tmp_path / "www" / "uploads")
    page = client.post("/submit", data=form(), files={"file": ("../../etc/passwd.txt", CALL, "text/plain")})
    assert page.status_code == 200, page.text
    [kept] = (tmp_path / "www" / "uploads").iterdir()
    assert kept.parent == tmp_path / "www" / "uploads" and kept.name != "passwd.txt"
    assert not (tmp_path / "etc").exists() and not (tmp_path / "www" / "etc").exists()
    with Store(tmp_path / "corpus.sqlite") as store:
        assert store.transcripts()[0].source == "upload:passwd.txt"       # the name is only a label


def test_a_second_upload_of_the_same_call_is_a_409_pointing_to_the_first_and_nothing_is_stored_twice(site, tmp_path):
    client = site()
    first = client.post("/submit", data=form(), files={"file": ("call.txt", CALL, "text/plain")})
    assert first.status_code == 200
    again = client.post("/submit", data=form(rep="Sam Ortega"), files={"file": ("again.vtt.txt", CALL, "text/plain")})
    assert again.status_code == 409
    assert "E404" in again.text and "Already submitted" in again.text
    assert "Dana Whitfield" in again.text            # who submitted it first
    assert "Fix:" in again.text
    assert [s["rep"] for s in submissions(tmp_path)] == ["Dana Whitfield"]
    assert len(uploads(tmp_path)) == 1               # the duplicate's file is not kept


def test_a_call_already_ingested_is_flagged_as_a_standout_rather_than_refused(site, tmp_path):
    path = tmp_path / "batch" / "call.txt"
    path.parent.mkdir()
    path.write_bytes(CALL)
    from insights.ingest import ingest_paths

    with Store(tmp_path / "corpus.sqlite") as store:
        ingest_paths([path], store)
    page = site().post("/submit", data=form(), files={"file": ("call.txt", CALL, "text/plain")})
    assert page.status_code == 200
    assert "already in the corpus" in page.text
    assert len(submissions(tmp_path)) == 1
    assert uploads(tmp_path) == []          # the store points at the ingested file, so no second copy is kept


def test_a_transcript_the_parser_cannot_read_is_a_422_with_the_code_and_the_fix(site, tmp_path):
    page = site().post("/submit", data=form(), files={"file": ("export.json", b'{"segments": [{"text": ',
                                                               "application/json")})
    assert page.status_code == 422
    assert "E201" in page.text and "upload:export.json" in page.text and "Fix:" in page.text
    assert submissions(tmp_path) == [] and uploads(tmp_path) == []


def test_a_wrong_outcome_is_a_422_naming_the_valid_ones(site, tmp_path):
    page = site().post("/submit", data=form(outcome="maybe"), files={"file": ("call.txt", CALL, "text/plain")})
    assert page.status_code == 422 and "E501" in page.text and "won" in page.text
    assert submissions(tmp_path) == [] and uploads(tmp_path) == []


def test_the_rep_name_is_shown_as_text_not_markup(site):
    page = site().post("/submit", data=form(rep="<script>alert(1)</script>"),
                       files={"file": ("call.txt", CALL, "text/plain")})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_models_are_loaded_once_at_startup_not_per_request(tmp_path, models, monkeypatch):
    from insights.extract import Models

    loads = []
    monkeypatch.setattr(Models, "load", classmethod(lambda cls, embedder=None: loads.append(1) or models))
    app = create_app(tmp_path / "corpus.sqlite", reports_dir=tmp_path / "reports")
    assert loads == []                                   # creating the app loads nothing yet
    with TestClient(app, base_url=BASE) as client:
        assert loads == [1]                              # startup did
        for n in range(2):
            upload = (f"c{n}.txt", sales_call(n).encode(), "text/plain")
            ok = client.post("/submit", data=form(), files={"file": upload})
            assert ok.status_code == 200
    assert loads == [1]


# --- refusals ------------------------------------------------------------------------------------------------------

def test_a_file_over_the_size_limit_is_a_413_and_nothing_is_kept(site, tmp_path):
    client = site(max_upload_bytes=len(CALL) - 1)
    page = client.post("/submit", data=form(), files={"file": ("call.txt", CALL, "text/plain")})
    assert page.status_code == 413
    assert "File too large" in page.text and "the limit is" in page.text
    assert submissions(tmp_path) == [] and uploads(tmp_path) == []


def test_a_huge_body_is_refused_from_its_content_length_alone(site, tmp_path):
    big = CALL * (8 * 1024 * 1024 // len(CALL))            # about 8 MB against the default 5 MB
    page = site().post("/submit", data=form(), files={"file": ("call.txt", big, "text/plain")})
    assert page.status_code == 413 and "the upload is 8.0 MB; the limit is 5.0 MB" in page.text
    assert uploads(tmp_path) == []


def test_a_chunked_body_without_content_length_is_cut_off_at_the_limit(site, tmp_path):
    client = site(max_upload_bytes=100_000)
    body = httpx.Request("POST", BASE + "/submit", data=form(),
                         files={"file": ("call.txt", CALL * 400, "text/plain")})
    payload = body.read()
    chunks = (payload[i:i + 8192] for i in range(0, len(payload), 8192))       # a generator: sent chunked
    page = client.post("/submit", content=chunks, headers={"content-type": body.headers["content-type"]})
    assert page.status_code == 413
    assert submissions(tmp_path) == [] and uploads(tmp_path) == []


@pytest.mark.parametrize("name, content, code", [
    ("photo.txt", PNG, "E103"),                            # an image renamed to look like a transcript
    ("call.vtt", b"GIF89a" + bytes(200), "E103"),
    ("notes.docx", b"Speaker 1: this is not a Word file", "Not a Word document"),
    ("archive.txt", b"PK\x03\x04" + bytes(100), "E103"),   # a ZIP (or a .docx) named .txt
])
def test_content_that_does_not_match_the_extension_is_refused(site, tmp_path, name, content, code):
    page = site().post("/submit", data=form(), files={"file": (name, content, "application/octet-stream")})
    assert page.status_code == 415, page.text
    assert code in page.text
    assert submissions(tmp_path) == [] and uploads(tmp_path) == []


@pytest.mark.parametrize("name", ["setup.exe", "call.mp3", "call", "call.txt.exe", "call.pdf"])
def test_files_that_are_not_transcript_types_are_refused_by_extension(site, tmp_path, name):
    page = site().post("/submit", data=form(), files={"file": (name, CALL, "application/octet-stream")})
    assert page.status_code == 415
    assert "Not a transcript file type" in page.text and ".vtt" in page.text
    assert uploads(tmp_path) == []


def test_a_zip_named_docx_passes_the_type_check_and_the_parser_names_what_is_wrong(site, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    page = site().post("/submit", data=form(), files={"file": ("call.docx", buf.getvalue(), "application/zip")})
    assert page.status_code == 422 and "E205" in page.text      # not 415: the content is the right kind
    assert uploads(tmp_path) == []


def test_a_missing_rep_is_a_400(site, tmp_path):
    page = site().post("/submit", data=form(rep="   "), files={"file": ("call.txt", CALL, "text/plain")})
    assert page.status_code == 400 and "rep name is missing" in page.text
    assert submissions(tmp_path) == [] and uploads(tmp_path) == []


def test_a_missing_file_is_a_400(site):
    page = site().post("/submit", data=form(), files={"other": ("x.txt", b"", "text/plain")})
    assert page.status_code == 400 and "no transcript file" in page.text


def test_with_a_token_set_the_form_asks_for_it_and_posts_without_it_are_403(site, tmp_path):
    client = site(token="s3cret-Token")
    assert 'name="token"' in client.get("/").text
    missing = client.post("/submit", data=form(), files={"file": ("call.txt", CALL, "text/plain")})
    wrong = client.post("/submit", data=form(token="guess"), files={"file": ("call.txt", CALL, "text/plain")})
    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert "none was given" in missing.text and "token is wrong" in wrong.text
    assert submissions(tmp_path) == [] and uploads(tmp_path) == []
    ok = client.post("/submit", data=form(token="s3cret-Token"), files={"file": ("call.txt", CALL, "text/plain")})
    assert ok.status_code == 200


def test_scripts_may_send_the_token_as_a_header(site, tmp_path):
    client = site(token="s3cret-Token")
    ok = client.post("/submit", data=form(), files={"file": ("call.txt", CALL, "text/plain")},
                     headers={"X-Insights-Token": "s3cret-Token"})
    assert ok.status_code == 200


def test_a_form_posted_from_another_site_is_refused(site, tmp_path):
    page = site().post("/submit", data=form(), files={"file": ("call.txt", CALL, "text/plain")},
                       headers={"Origin": "http://evil.example"})
    assert page.status_code == 403 and "Cross-site" in page.text
    assert submissions(tmp_path) == []


def test_a_form_posted_from_the_app_itself_is_accepted(site):
    """Browsers send Origin on form posts; a Referrer-Policy of no-referrer would make it `null` (and refused)."""
    page = site().post("/submit", data=form(), files={"file": ("call.txt", CALL, "text/plain")},
                       headers={"Origin": BASE})
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "same-origin"


def test_a_request_for_another_host_name_is_refused(site):
    """A DNS-rebinding page would reach the loopback app under its own host name."""
    assert site().get("/", headers={"Host": "evil.example"}).status_code == 400


# --- browsing reports ----------------------------------------------------------------------------------------------

@pytest.fixture
def reports(tmp_path) -> Path:
    root = tmp_path / "reports"
    for week in ("2026-W45", "2026-W47", "2026-W46", "2026-11-01_to_2026-11-30"):
        (root / week).mkdir(parents=True)
        (root / week / "index.html").write_text(f"<h1>Report {week}</h1>", encoding="utf-8")
        (root / week / "persona-cfo_finance.html").write_text(f"<h1>CFO brief {week}</h1>", encoding="utf-8")
    (root / "2026-W47" / "report.md").write_text("# Report 2026-W47\n", encoding="utf-8")
    (root / "drafts").mkdir()                          # no index.html: not a report
    (root / ".staging").mkdir()
    (root / ".staging" / "index.html").write_text("half-written", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("TOP SECRET", encoding="utf-8")
    return root


def test_reports_are_listed_newest_first(site, reports):
    page = site().get("/reports/")
    assert page.status_code == 200
    order = [page.text.index(w) for w in ("2026-11-01_to_2026-11-30", "2026-W47", "2026-W46", "2026-W45")]
    assert order == sorted(order)
    assert "drafts" not in page.text and ".staging" not in page.text
    assert "Brief: CFO / Finance" in page.text


def test_the_form_page_links_the_latest_report_and_its_persona_briefs(site, reports):
    page = site().get("/")
    assert 'href="/reports/2026-11-01_to_2026-11-30/persona-cfo_finance.html"' in page.text
    assert 'href="/reports/2026-W45/"' in page.text


def test_a_week_folder_serves_its_report_and_briefs(site, reports):
    client = site()
    assert client.get("/reports/2026-W47/").text == "<h1>Report 2026-W47</h1>"
    assert client.get("/reports/2026-W47/persona-cfo_finance.html").text == "<h1>CFO brief 2026-W47</h1>"
    moved = client.get("/reports/2026-W47", follow_redirects=False)
    assert moved.status_code == 307 and moved.headers["location"] == "/reports/2026-W47/"


@pytest.mark.parametrize("url", [
    "/reports/..%2Fsecret.txt",
    "/reports/2026-W47/..%2F..%2Fsecret.txt",
    "/reports/%2e%2e/secret.txt",
    "/reports/2026-W47/%2e%2e/%2e%2e/secret.txt",
    "/reports/..\\secret.txt",
    "/reports/.staging/index.html",
    "/reports/drafts/",
    "/reports/nothing-here.html",
])
def test_browsing_refuses_paths_outside_the_reports(site, reports, url):
    page = site().get(url)
    assert page.status_code == 404
    assert "TOP SECRET" not in page.text and "half-written" not in page.text


def test_a_symlink_leading_out_of_the_reports_is_refused(site, reports, tmp_path):
    os.symlink(tmp_path / "secret.txt", reports / "2026-W47" / "leak.html")
    page = site().get("/reports/2026-W47/leak.html")
    assert page.status_code == 404 and "TOP SECRET" not in page.text


def test_with_no_reports_yet_the_pages_say_when_they_appear(site):
    assert "after the weekly" in site().get("/reports/").text


# --- the pure helpers ----------------------------------------------------------------------------------------------

def test_display_name_keeps_only_the_last_component_without_control_characters():
    assert display_name("../../etc/passwd.txt") == "passwd.txt"
    assert display_name("C:\\Users\\dana\\call.vtt") == "call.vtt"
    assert display_name("bad\x00na\u202eme.txt") == "badname.txt"
    assert display_name("../") == "upload"


def test_upload_extension_is_case_blind_and_only_for_transcript_types():
    assert upload_extension("Call.VTT") == ".vtt"
    assert upload_extension("call.txt.exe") is None and upload_extension("README") is None


def test_check_content_accepts_text_and_zip_word_files_only_where_they_belong():
    check_content(".txt", CALL)
    check_content(".docx", b"PK\x03\x04rest")
    for ext, head in ((".txt", PNG), (".docx", CALL), (".md", b"\x00\x01\x02" * 100)):
        with pytest.raises(Exception) as info:
            check_content(ext, head)
        assert getattr(info.value, "status", None) == 415


def test_safe_join_stays_inside_the_root(tmp_path):
    assert safe_join(tmp_path, "a/b.html") == (tmp_path / "a" / "b.html").resolve()
    assert safe_join(tmp_path, "") == tmp_path.resolve()
    for bad in ("../x", "a/../../x", ".hidden/x", "a/./b", "a\\..\\..\\x"):
        assert safe_join(tmp_path, bad) is None


def test_report_weeks_ignores_folders_without_a_report(reports):
    assert report_weeks(reports) == ["2026-11-01_to_2026-11-30", "2026-W47", "2026-W46", "2026-W45"]
    assert report_weeks(reports / "missing") == []
