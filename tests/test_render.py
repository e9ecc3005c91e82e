"""The renderer turns the report view model into pages and exports: every quote shown verbatim and linked to its
place in the transcript, hostile transcript text inert in HTML, Markdown and CSV, the previous report kept until a
new one is complete, templates overridable by name, and the same view model always giving the same bytes."""
from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

import insights.render as render
from insights.errors import InsightsError
from insights.render import csv_cell, md_escape, render_report

ROOT = Path(__file__).resolve().parents[1]
CARTWELL, BRIGHTLINE, PODCAST = "a3f9c2e17b5d4e60", "b81d44c0e2a97f13", "e5c7a9013f6b2d88"


def _load_fixture():
    spec = importlib.util.spec_from_file_location("report_fixture", ROOT / "tests/fixtures/report/viewmodel.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fx = _load_fixture()
MD = MarkdownIt("commonmark").enable("table")


@pytest.fixture
def report() -> dict:
    return fx.build_report()


@pytest.fixture
def site(report, tmp_path) -> Path:
    out = tmp_path / "reports" / "2026-W47"
    render_report(report, out)
    return out


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def html_text(path: Path) -> str:
    return soup(path).get_text()


def md_html(path: Path) -> BeautifulSoup:
    """A Markdown file as a CommonMark renderer shows it."""
    return BeautifulSoup(MD.render(path.read_text(encoding="utf-8")), "html.parser")


def quotes_of(persona: dict) -> list[dict]:
    out = [q for ths in persona["themes"].values() for th in ths for q in th["quotes"]]
    out += [q for a in persona["angles"] for q in a["quotes"]]
    out += persona["analogies"]["buyers"] + persona["analogies"]["reps"] + persona["unthemed"]
    return out


def read_csv(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "a UTF-8 BOM, so spreadsheet apps read the text right"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


# --- files -----------------------------------------------------------------------------------------------------------

def test_writes_report_briefs_transcripts_and_exports(report, tmp_path):
    out = tmp_path / "2026-W47"
    written = render_report(report, out)
    expected = {"index.html", "report.md", "insights.jsonl", "insights.csv", "themes.json",
                *(f"persona-{p}.{ext}" for p in ("cfo_finance", "it_security", "vp_marketing", "unassigned")
                  for ext in ("html", "md")),
                *(f"transcripts/{t}.html" for t in (CARTWELL, BRIGHTLINE, PODCAST))}
    assert sorted(written) == sorted(out / name for name in expected)
    assert {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} == expected
    assert [p.name for p in tmp_path.iterdir()] == ["2026-W47"], "no temporary folders left behind"


# --- quotes and links ------------------------------------------------------------------------------------------------

def test_every_quote_appears_verbatim_in_its_persona_brief_html_and_markdown(report, site):
    for p in report["personas"]:
        html, md = html_text(site / f"persona-{p['key']}.html"), md_html(site / f"persona-{p['key']}.md").get_text()
        assert quotes_of(p), p["key"]
        for q in quotes_of(p):
            assert q["quote"] in html, (p["key"], q["quote"])
            assert q["quote"] in md, (p["key"], q["quote"])
        for th in (th for ths in p["themes"].values() for th in ths):
            for r in th["replies"]:
                assert r["quote"] in html and r["quote"] in md and r["why_best"] in html


def test_standout_quotes_appear_verbatim_in_the_weekly_report(report, site):
    html, md = html_text(site / "index.html"), md_html(site / "report.md").get_text()
    quotes = [q["quote"] for s in report["standouts"] for q in s["insights"]]
    assert len(quotes) == 3
    for q in quotes:
        assert q in html and q in md


def test_transcript_page_shows_every_utterance_with_its_speaker_and_time(report, site):
    for t in report["transcripts"]:
        page = soup(site / "transcripts" / f"{t['id']}.html")
        for u in t["utterances"]:
            turn = page.find(id=u["anchor"])
            assert turn is not None
            text = turn.get_text(" ")
            assert "".join(s["text"] for s in u["segments"]) in turn.find("p").get_text().replace(
                "Pain point: ", "").replace("Objection: ", "").replace("Analogy: ", "")
            assert u["speaker"] in text and u["start_label"] in text


def test_insights_are_highlighted_with_their_kind_in_the_transcript(report, site):
    page = soup(site / "transcripts" / f"{CARTWELL}.html")
    mark = page.find("mark", id="i-c1a0e5d2b7f34a01")
    assert mark["class"] == ["kind-objection"]
    assert mark.get_text() == ("the annual upfront payment is the sticking point for us. We'd rather pay quarterly "
                               "while we prove it out.")
    assert len(page.find_all("mark", id=True)) == 6


def _local_links(page: Path) -> list[tuple[str, Path, str]]:
    links = []
    for a in soup(page).find_all("a", href=True):
        parts = urlsplit(a["href"])
        assert not parts.scheme and not parts.netloc, f"{page.name} links outside the report: {a['href']}"
        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page.resolve()
        links.append((a["href"], target, parts.fragment))
    return links


def test_every_link_in_every_page_lands_on_an_existing_file_and_anchor(site):
    pages = sorted(site.rglob("*.html"))
    checked = 0
    for page in pages:
        for href, target, fragment in _local_links(page):
            assert target.is_file(), f"{page.name}: {href} points to a missing file"
            assert target.is_relative_to(site.resolve())
            if fragment:
                assert soup(target).find(id=fragment) is not None, f"{page.name}: {href} has no anchor"
            checked += 1
    assert checked > 100


def test_a_changed_theme_outside_the_top_themes_links_to_the_what_changed_list(site):
    index = soup(site / "index.html").find(id="trends")
    assert index.find("a", string="procurement paperwork")["href"] == "persona-cfo_finance.html#changes"
    brief = soup(site / "persona-cfo_finance.html")
    assert brief.find(id="th-aa11bb22") is None
    assert "procurement paperwork" in brief.find(id="changes").get_text()
    assert brief.find("a", string="procurement paperwork") is None, "no link from the list to itself"


def test_quote_links_land_on_the_highlight_of_that_exact_quote(report, site):
    for p in report["personas"]:
        for q in quotes_of(p):
            path, _, anchor = q["link"].partition("#")
            mark = soup(site / path).find(id=anchor)
            assert mark.name == "mark" and mark.get_text() == q["quote"]
            page = soup(site / f"persona-{p['key']}.html")
            assert page.find("a", href=q["link"]) is not None


def test_markdown_links_land_on_existing_files_and_anchors(site):
    for md in sorted(site.glob("*.md")):
        for a in md_html(md).find_all("a", href=True):
            parts = urlsplit(a["href"])
            target = site / unquote(parts.path)
            assert not parts.scheme and target.is_file(), f"{md.name}: {a['href']}"
            if parts.fragment:
                html = target.read_text(encoding="utf-8")
                assert f'id="{parts.fragment}"' in html, f"{md.name}: {a['href']}"


def test_quote_whose_highlight_was_taken_by_an_overlapping_insight_still_gets_an_anchor(report, tmp_path):
    """The builder gives overlapping insights one shared mark; the other quote's link must still land."""
    t = next(t for t in report["transcripts"] if t["id"] == CARTWELL)
    seg = next(s for u in t["utterances"] for s in u["segments"]
               if s["insight"] and s["insight"]["id"] == "c1a0e5d2b7f34a06")
    seg["insight"] = dict(seg["insight"], id="ffff000011112222", anchor="i-ffff000011112222")
    render_report(report, tmp_path / "r")
    page = soup(tmp_path / "r" / "transcripts" / f"{CARTWELL}.html")
    anchor = page.find(id="i-c1a0e5d2b7f34a06")
    assert anchor is not None
    assert anchor.find_parent("li")["id"] == "u-7", "the anchor sits in the utterance that holds the quote"


# --- content sections ------------------------------------------------------------------------------------------------

def test_weekly_report_has_headline_numbers_trends_standouts_and_data_quality(site):
    page = soup(site / "index.html")
    assert [h.get_text() for h in page.find_all("h2")] == [
        "This week in numbers", "By persona", "New and rising themes", "Across personas", "Standout calls",
        "Data quality"]
    numbers = {d.find("dt").get_text(): d.find("dd").get_text() for d in page.select("dl.stats > div")}
    assert numbers == {"Sales calls": "2", "Episodes": "1", "Hours": "0.2", "Speakers": "7", "Pain points": "6",
                       "Objections": "4", "Analogies": "4"}
    text = " ".join(page.get_text().split())
    for expected in ("↑ rising", "↓ falling", "✦ new", "→ steady", "Turned the upfront-payment objection",
                     "inbox/acme-renewal.vtt", "line 14", "E203", "no title in the metadata", "estimated at 150"):
        assert expected in text


def test_a_since_until_period_reads_as_a_date_range(report, tmp_path):
    report["week"] = "2026-11-01_to_2026-11-30"
    render_report(report, tmp_path / "r")
    assert soup(tmp_path / "r" / "index.html").find("h1").get_text() == "What buyers said in 2026-11-01 to 2026-11-30"
    assert (tmp_path / "r" / "report.md").read_text(encoding="utf-8").startswith(
        "# What buyers said in 2026-11-01 to 2026-11-30\n")


def test_trend_arrows_carry_a_text_label_and_hide_the_symbol_from_screen_readers(site):
    trends = soup(site / "persona-it_security.html").select("span.trend")
    assert {t.get_text().strip() for t in trends} >= {"↑ rising", "↓ falling", "✦ new"}
    assert all(t.find("span", attrs={"aria-hidden": "true"}) for t in trends)


def test_persona_brief_has_its_sections_with_ranked_themes_replies_and_suggestions(site):
    page = soup(site / "persona-cfo_finance.html")
    assert [h.get_text() for h in page.find_all("h2")] == [
        "Who they are", "Top pains", "Top objections", "Analogies worth reusing", "What changed", "Messaging angles"]
    objections = page.find(id="objections").find_all("h3")
    assert [h.get_text() for h in objections] == ["1. annual upfront payment · quarterly billing",
                                                  "2. renewal price increase · lock-in"]
    reply = page.find(id="th-1a2b3c4d").select_one("ol.replies li")
    assert "We can bill quarterly in year one" in reply.get_text() and "Why best: deal won" in reply.get_text()
    angles = page.select("#angles .suggestion")
    assert len(angles) == 2 and all("SUGGESTION" in a.get_text() and a.select("figure.quote") for a in angles)
    who = page.find(id="who").get_text(" ")
    assert "Helen Park" in who and "Chief Financial Officer" in who and "Cartwell Logistics" in who


def test_each_theme_has_an_svg_bar_chart_of_its_weekly_counts(site):
    theme = soup(site / "persona-it_security.html").find(id="th-8f9a0b1c")
    chart = theme.find("svg")
    assert chart["role"] == "img" and "2026-W45: 4, 2026-W46: 2, 2026-W47: 1" in chart["aria-label"]
    heights = [float(r["height"]) for r in chart.find_all("rect")]
    assert heights[0] > heights[1] > heights[2] > 0


def test_markdown_brief_marks_every_angle_as_a_suggestion_with_its_quotes(site):
    md = (site / "persona-cfo_finance.md").read_text(encoding="utf-8")
    section = md.split("## Messaging angles", 1)[1]
    assert section.count("**SUGGESTION:**") == 2 and section.count("Built from:") == 2


# --- hostile text ----------------------------------------------------------------------------------------------------

HOSTILE = [fx.SCRIPT, fx.TITLE_SCRIPT, fx.JINJA, fx.MD_LINK, fx.MD_IMAGE, fx.FORMULA]


def test_hostile_transcript_text_is_escaped_in_html(site):
    for page in [*site.glob("*.html"), *site.glob("transcripts/*.html")]:
        parsed = soup(page)
        assert parsed.find("script") is None, page.name
        assert not parsed.find_all(["img", "iframe", "object", "embed"]), page.name
        assert not [a for a in parsed.find_all("a", href=True) if "evil" in a["href"]]
    raw = (site / "transcripts" / f"{BRIGHTLINE}.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    text = html_text(site / "transcripts" / f"{BRIGHTLINE}.html")
    for hostile in HOSTILE:
        assert hostile in text, "shown as the literal text the buyer said"
    assert "printed {{ 7*7 }} as 49" in text, "data is never evaluated as a template"


def test_hostile_transcript_text_is_inert_in_markdown(site):
    for name in ("persona-it_security.md", "persona-unassigned.md"):
        source = (site / name).read_text(encoding="utf-8")
        shown = md_html(site / name)
        assert not shown.find_all(["script", "img"]), name
        assert not [a for a in shown.find_all("a", href=True) if "evil" in a["href"]], name
        assert "<script>" not in source and "](http://evil" not in source and "{{" not in source
    text = md_html(site / "persona-it_security.md").get_text()
    for hostile in HOSTILE[:5]:
        assert hostile in text
    assert fx.FORMULA in md_html(site / "persona-unassigned.md").get_text()


def test_hostile_transcript_text_cannot_run_as_a_spreadsheet_formula(site):
    rows = read_csv(site / "insights.csv")
    formula = next(r for r in rows if r["id"] == "d2b1f6e3c8a45b03")
    assert formula["quote"] == "'" + fx.FORMULA + " sat in a cell of their CSV export and someone in finance clicked it."
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


@pytest.mark.parametrize("value, expected", [
    ("=SUM(A1:A9)", "'=SUM(A1:A9)"), ("+44 20 7946 0000", "'+44 20 7946 0000"), ("-2+3", "'-2+3"),
    ("@ops team", "'@ops team"), ("\tindented", "'\tindented"), ("\rreturn", "'\rreturn"),
    ("plain text = fine", "plain text = fine"), ("", ""), (None, ""), (0.93, "0.93")])
def test_csv_cell_defuses_formula_starts_only(value, expected):
    assert csv_cell(value) == expected


@pytest.mark.parametrize("text", [
    "# not a heading", "1. not a list", "- not a list", "+ not a list", "> not a quote", "    not code",
    "```not a fence```", "a | table | cell", "*not emphasis* and _not either_", "<b>not bold</b>",
    "[click](http://evil)", "![x](http://evil/x.png)", "<http://evil.example>", "&amp; stays literal",
    "{{ 7*7 }} and {% if %}", "back\\slash", "visit http://evil.example or www.evil.example now",
    "[ref]: http://evil", "~~not struck~~"])
def test_md_escape_keeps_markdown_syntax_in_text_as_literal_text(text):
    shown = BeautifulSoup(MD.render(md_escape(text)), "html.parser")
    assert [t.name for t in shown.find_all(True)] == ["p"], shown
    assert shown.find("p").get_text() == text.strip()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1 .\n\t-+=#>*_`[]()<>!|{}~&\\:/w%'\"é→")), max_size=40))
def test_md_escape_renders_back_to_exactly_the_text(text):
    """Whatever a transcript says, CommonMark shows it as one paragraph of the same text (line breaks as spaces)."""
    expected = re.sub(r"\s*\n+\s*", " ", text).strip()
    shown = BeautifulSoup(MD.render(md_escape(text)), "html.parser")
    if not expected:
        assert shown.get_text() == ""
        return
    assert [t.name for t in shown.find_all(True)] == ["p"]
    assert shown.find("p").get_text() == expected


# --- exports ---------------------------------------------------------------------------------------------------------

def test_csv_and_jsonl_hold_one_record_per_distinct_quote_with_its_transcript_and_persona(report, site):
    rows = read_csv(site / "insights.csv")
    records = [json.loads(line) for line in (site / "insights.jsonl").read_text(encoding="utf-8").splitlines()]
    ids = {q["id"] for p in report["personas"] for q in quotes_of(p)}
    ids |= {q["id"] for s in report["standouts"] for q in s["insights"]}
    assert len(ids) == 15
    assert [r["id"] for r in rows] == [r["id"] for r in records] and set(r["id"] for r in rows) == ids
    first = next(r for r in records if r["id"] == "c1a0e5d2b7f34a01")
    assert first | {"theme_ids": None} == {
        "id": "c1a0e5d2b7f34a01", "kind": "objection",
        "quote": "the annual upfront payment is the sticking point for us. We'd rather pay quarterly while we prove "
                 "it out.",
        "speaker": "Helen Park", "role": "buyer", "persona": "cfo_finance", "persona_name": "CFO / Finance",
        "date": "2026-11-18", "start": 41.0, "start_label": "0:41", "confidence": 0.91,
        "response": "That's fair. We can bill quarterly in year one and move to annual once you've seen the numbers.",
        "response_speaker": "Maya Chen", "transcript_id": CARTWELL,
        "transcript_title": "Cartwell Logistics — pricing review", "transcript_date": "2026-11-18",
        "transcript_kind": "sales_call", "transcript_source": "calls/2026-11-18-cartwell-pricing.vtt",
        "link": f"transcripts/{CARTWELL}.html#i-c1a0e5d2b7f34a01", "theme_ids": None,
        "theme_names": ["annual upfront payment · quarterly billing"]}
    assert next(r for r in rows if r["id"] == "c1a0e5d2b7f34a01")["persona_name"] == "CFO / Finance"
    assert [r["transcript_date"] for r in records] == sorted(r["transcript_date"] for r in records)


def test_themes_json_lists_every_theme_with_its_fields(report, site):
    doc = json.loads((site / "themes.json").read_text(encoding="utf-8"))
    assert doc["week"] == "2026-W47"
    assert [t["id"] for t in doc["themes"]] == [
        th["id"] for p in report["personas"] for k in ("pain_point", "objection", "analogy")
        for th in p["themes"][k]]
    sso = next(t for t in doc["themes"] if t["id"] == "th-8f9a0b1c")
    assert sso["persona_name"] == "IT / Security" and sso["weekly"][0] == ["2026-W45", 4]
    assert sso["replies"][0]["why_best"] == "deal still open" and sso["quotes"][0]["speaker"] == "Priya Nair"


# --- html quality ----------------------------------------------------------------------------------------------------

def test_pages_are_self_contained_and_accessible(site):
    for page in [*site.glob("*.html"), *site.glob("transcripts/*.html")]:
        html = page.read_text(encoding="utf-8")
        parsed = BeautifulSoup(html, "html.parser")
        assert parsed.html["lang"] == "en"
        assert not parsed.find_all(["link", "script", "img", "iframe"]) and "@import" not in html
        assert not re.search(r"url\(", html) and not re.search(r'\ssrc=', html)
        assert len(parsed.find_all("h1")) == 1, page.name
        for tag in ("header", "nav", "main", "footer"):
            assert parsed.find(tag) is not None, (page.name, tag)
        levels = [int(h.name[1]) for h in parsed.find_all(re.compile(r"^h[1-6]$"))]
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), f"{page.name} skips a heading level: {levels}"
        assert all(a.get_text(strip=True) or a.get("aria-label") for a in parsed.find_all("a")), page.name
        assert "@media print" in html


# --- atomic replacement, overrides, determinism ----------------------------------------------------------------------

def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_failing_template_leaves_the_previous_report_in_place(report, site, tmp_path):
    before = _snapshot(site)
    broken = tmp_path / "broken-templates"
    broken.mkdir()
    (broken / "persona.html.j2").write_text("{{ persona.field_the_builder_never_sends }}", encoding="utf-8")
    report["week"] = "2026-W48"
    with pytest.raises(Exception, match="field_the_builder_never_sends"):
        render_report(report, site, templates=broken)
    assert _snapshot(site) == before
    assert sorted(p.name for p in site.parent.iterdir()) == ["2026-W47"], "no temporary folder left behind"


def test_a_failure_while_writing_leaves_the_previous_report_in_place(report, site, monkeypatch):
    before = _snapshot(site)
    real_write = Path.write_bytes

    def fail_on_transcripts(self, data):
        if self.parent.name == "transcripts":
            raise OSError(28, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", fail_on_transcripts)
    with pytest.raises(OSError, match="No space left"):
        render_report(report, site)
    assert _snapshot(site) == before
    assert sorted(p.name for p in site.parent.iterdir()) == ["2026-W47"]


@pytest.mark.parametrize("exchange", [True, False], ids=["atomic-exchange", "two-renames"])
def test_a_new_render_replaces_the_whole_previous_report(report, site, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(render, "_exchange", lambda a, b: False)
    (site / "stale-note.txt").write_text("left from an older run", encoding="utf-8")
    report["personas"] = [p for p in report["personas"] if p["key"] != "vp_marketing"]
    report["headline"]["calls"] = 3
    render_report(report, site)
    assert not (site / "stale-note.txt").exists() and not (site / "persona-vp_marketing.html").exists()
    assert "<dt>Sales calls</dt><dd>3</dd>" in (site / "index.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in site.parent.iterdir()) == ["2026-W47"]


def test_unsafe_persona_key_is_refused_before_anything_is_written(report, tmp_path):
    report["personas"][0]["key"] = "../../etc/cfo"
    with pytest.raises(InsightsError) as err:
        render_report(report, tmp_path / "out")
    assert err.value.code == "E900" and not (tmp_path / "out").exists()


def test_a_templates_folder_overrides_templates_by_name(report, tmp_path):
    custom = tmp_path / "my-templates"
    custom.mkdir()
    (custom / "index.html.j2").write_text(
        '{% extends "_base.html.j2" %}{% block title %}Acme weekly{% endblock %}'
        '{% block heading %}Acme: {{ report.week }}{% endblock %}{% block content %}<p>{{ report.personas[0].name }}'
        '</p>{% endblock %}', encoding="utf-8")
    (custom / "_style.html.j2").write_text("<style>body { font-family: 'Acme Sans'; }</style>\n", encoding="utf-8")
    render_report(report, tmp_path / "custom", templates=custom)
    render_report(report, tmp_path / "default")
    index = soup(tmp_path / "custom" / "index.html")
    assert index.find("h1").get_text() == "Acme: 2026-W47" and "CFO / Finance" in index.find("main").get_text()
    brief = (tmp_path / "custom" / "persona-cfo_finance.html").read_text(encoding="utf-8")
    assert "'Acme Sans'" in brief, "a partial is overridden on every page that includes it"
    assert (tmp_path / "custom" / "report.md").read_bytes() == (tmp_path / "default" / "report.md").read_bytes()


def test_a_missing_templates_folder_is_a_clear_error(report, tmp_path):
    with pytest.raises(InsightsError) as err:
        render_report(report, tmp_path / "out", templates=tmp_path / "nope")
    assert err.value.code == "E501" and "nope" in err.value.message


def test_the_same_view_model_gives_byte_identical_files(report, tmp_path):
    render_report(report, tmp_path / "one")
    render_report(json.loads(json.dumps(report)), tmp_path / "two")
    render_report(report, tmp_path / "one")
    one, two = _snapshot(tmp_path / "one"), _snapshot(tmp_path / "two")
    assert one == two and len(one) == 16
