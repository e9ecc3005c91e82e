"""Web pages and Markdown: the transcript is found inside the page and parsed like plain text."""
from __future__ import annotations

from pathlib import Path

import pytest

from insights.errors import InsightsError
from insights.parse import parse_bytes, parse_text
from insights.parse import markup

FIXTURES = Path(__file__).parent / "fixtures" / "text"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def all_text(parsed) -> str:
    return "\n".join(u.text for u in parsed.utterances)


# --- HTML ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["podcast_page.html", "podcasting20.html"])
def test_html_pages_and_fragments_are_sniffed_by_content(name: str) -> None:
    assert markup.sniff_html(fixture(name))


@pytest.mark.parametrize("text", [
    "Ana: I <3 this product.\nRaj: Me too.",
    "Ana: Paste a <p> tag into the editor and it breaks.\nRaj: Known bug.",
    "# Notes\n\nSome prose.\n\n```html\n<html><body><p>demo</p></body></html>\n```\n",
])
def test_text_that_merely_mentions_tags_is_not_html(text: str) -> None:
    assert not markup.sniff_html(text)


def test_html_page_gives_the_conversation_without_menus_promos_sidebars_or_footer() -> None:
    parsed = markup.parse(fixture("podcast_page.html"))
    assert parsed.format == "html:speaker-turns"
    assert [u.speaker for u in parsed.utterances] == ["Rosa", "Ken", "Rosa", "Ken", "Rosa"]
    text = all_text(parsed)
    for furniture in ("Home", "Free guide", "Popular episodes", "Subscribe on your favourite", "dataLayer",
                      "font-family", "In this episode"):
        assert furniture not in text


def test_html_paragraphs_and_line_breaks_stay_inside_the_speakers_turn() -> None:
    parsed = markup.parse(fixture("podcast_page.html"))
    assert parsed.utterances[1].text == (
        "What happens if we cancel. Every single time. They want to know the exit before they hear the pitch.\n"
        "And I used to treat that as a bad sign. Now I think it's the most honest question in the whole process.")
    assert parsed.utterances[3].text == ("With the contract open on screen. I show the termination clause, the data "
                                         "export, and the notice period. It takes two minutes and it ends the "
                                         "suspicion.")


def test_html_title_and_publication_date_go_to_metadata() -> None:
    parsed = markup.parse(fixture("podcast_page.html"))
    assert parsed.meta["title"] == "Episode 18: Selling to Skeptical CFOs | Pipeline Hour"
    assert parsed.meta["date"] == "2025-03-14"


def test_podcasting_20_html_with_cite_and_time_elements() -> None:
    parsed = markup.parse(fixture("podcasting20.html"))
    assert parsed.format == "html:speaker-block"
    assert [(u.speaker, u.start) for u in parsed.utterances] == [("Mara", 0), ("Theo", 14), ("Mara", 41)]
    assert parsed.utterances[0].text == ("Welcome back. Today we're looking at why free trials don't convert for "
                                         "enterprise buyers.")


def test_an_html_table_of_speaker_time_and_text_reads_as_turns() -> None:
    page = ("<table><tr><th>Speaker</th><th>Time</th><th>Text</th></tr>"
            "<tr><td>Ivy</td><td>00:00:03</td><td>Is the onboarding fee negotiable?</td></tr>"
            "<tr><td>Noel</td><td>00:00:08</td><td>It is waived on annual plans.</td></tr>"
            "<tr><td>Ivy</td><td>00:00:15</td><td>Then annual it is.</td></tr></table>")
    parsed = markup.parse(page)
    assert [(u.speaker, u.start, u.text) for u in parsed.utterances] == [
        ("Ivy", 3, "Is the onboarding fee negotiable?"), ("Noel", 8, "It is waived on annual plans."),
        ("Ivy", 15, "Then annual it is.")]


def test_an_element_classed_as_furniture_is_dropped_unless_it_holds_the_page() -> None:
    page = ("<html><body><div class='share-buttons'><p>Share on LinkedIn</p></div>"
            "<div class='content with-sidebar'>"
            "<p>Ana: Our churn doubled after the price change.</p><p>Raj: Which segment?</p>"
            "<p>Ana: Mostly small agencies on monthly plans.</p><p>Raj: That matches our data.</p></div>"
            "</body></html>")
    parsed = markup.parse(page)
    assert "LinkedIn" not in all_text(parsed)
    assert [u.speaker for u in parsed.utterances] == ["Ana", "Raj", "Ana", "Raj"]


def test_a_page_with_nothing_but_scripts_and_menus_raises_e206() -> None:
    page = "<html><head><script>var a = 1;</script></head><body><nav><a href='/'>Home</a></nav></body></html>"
    with pytest.raises(InsightsError) as err:
        markup.parse(page)
    assert err.value.code == "E206"


# --- Markdown ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["interview.md", "interview_italic_labels.md"])
def test_markdown_with_wrapped_labels_is_sniffed(name: str) -> None:
    assert markup.sniff_markdown(fixture(name))


def test_descript_bold_labels_without_markdown_structure_are_left_to_plain_text() -> None:
    assert not markup.sniff(fixture("descript_export.md"))
    assert parse_text(fixture("descript_export.md"), "descript_export.md").format == "descript"


def test_markdown_prose_with_headings_but_no_speakers_is_not_markup() -> None:
    text = "# Q3 review\n\n## Wins\n\nTwo renewals closed early.\n\n## Losses\n\nHarbor went with a cheaper tool.\n"
    assert not markup.sniff(text)


def test_markdown_bullets_bold_labels_and_links_are_unwrapped_but_speech_kept_verbatim() -> None:
    parsed = markup.parse(fixture("interview.md"))
    assert parsed.format == "markdown:speaker-turns"
    assert [s.label for s in parsed.speakers] == ["Interviewer", "Priya Shah"]
    assert parsed.utterances[1].text == ("Our buyers were placing orders by email, and about one in ten had a "
                                         "mistake in it. See the order error report we shared.")
    assert parsed.utterances[3].text.startswith("The *integration* with our ERP.")   # emphasis in speech stays
    text = all_text(parsed)
    assert "https://" not in text and "Voice of the Customer" not in text
    assert "edited for length" not in text


def test_italic_labels_under_a_heading() -> None:
    parsed = markup.parse(fixture("interview_italic_labels.md"))
    assert parsed.format == "markdown:speaker-turns"
    assert [u.speaker for u in parsed.utterances] == ["Sofia", "Mark", "Sofia", "Mark"]
    assert "Call notes" not in all_text(parsed)


def test_recurring_heading_names_are_speaker_blocks() -> None:
    text = ("### Elena\n\nWhat would make you switch providers?\n\n### Kwame\n\nA contract we can exit in thirty "
            "days.\n\n### Elena\n\nAnd on price?\n\n### Kwame\n\nMatching our current rate would be enough.\n")
    assert markup.sniff_markdown(text)
    parsed = markup.parse(text)
    assert parsed.format == "markdown:speaker-block"
    assert [u.speaker for u in parsed.utterances] == ["Elena", "Kwame", "Elena", "Kwame"]


def test_markdown_to_text_drops_markers_and_link_targets() -> None:
    md = "> **Lea:** See [our pricing](https://example.com/p) page.\n---\n1. *Tom*: Thanks ![logo](x.png)\n"
    assert markup.markdown_to_text(md).splitlines() == ["Lea: See our pricing page.", "", "Tom: Thanks"]


# --- detection through the registry --------------------------------------------------------------------------

@pytest.mark.parametrize("name, fmt", [
    ("podcast_page.html", "html:speaker-turns"),
    ("podcasting20.html", "html:speaker-block"),
    ("interview.md", "markdown:speaker-turns"),
    ("interview_italic_labels.md", "markdown:speaker-turns"),
])
def test_registry_routes_pages_and_markdown_here(name: str, fmt: str) -> None:
    parsed = parse_bytes((FIXTURES / name).read_bytes(), name)
    assert parsed.format == fmt
