"""Plain-text transcripts: every layout people paste or export, found by content, with the page around it trimmed."""
from __future__ import annotations

from pathlib import Path

import pytest

from insights.errors import InsightsError
from insights.parse import load_transcript, parse_bytes, parse_text
from insights.parse import text as plain
from insights.records import Utterance

FIXTURES = Path(__file__).parent / "fixtures" / "text"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def turns(parsed) -> list[tuple[str | None, str]]:
    return [(u.speaker, u.text) for u in parsed.utterances]


def all_text(parsed) -> str:
    return "\n".join(u.text for u in parsed.utterances)


# --- speaker turns inside a copied web page ------------------------------------------------------------------

def test_turns_with_bracketed_times_are_found_inside_a_podcast_page() -> None:
    parsed = plain.parse(fixture("podcast_page_turns.txt"))
    assert parsed.format == "speaker-turns"
    assert [s.label for s in parsed.speakers] == ["Nadia", "Tom"]
    assert [u.start for u in parsed.utterances] == [0, 9, 13, 21, 48, 50, 62, 65, 91]
    assert parsed.utterances[0].text.startswith("Welcome back to the Revenue Room.")


def test_navigation_promos_and_show_notes_before_the_first_turn_are_dropped() -> None:
    parsed = plain.parse(fixture("podcast_page_turns.txt"))
    text = all_text(parsed)
    for furniture in ("Book a Strategy Call", "Pipeline Playbook", "Maria Chen", "About the podcast",
                      "Episode transcript"):
        assert furniture not in text
    assert parsed.meta["dropped_lines_before"] == 13


def test_after_the_last_turn_speech_is_kept_and_subscribe_bio_and_related_posts_are_dropped() -> None:
    parsed = plain.parse(fixture("podcast_page_turns.txt"))
    last = parsed.utterances[-1]
    assert last.speaker == "Nadia"
    assert last.text.endswith("we will see you next week with another deal breakdown.")
    text = all_text(parsed)
    for furniture in ("Subscribe to Updates", "Share this episode", "co-founder of Brightline", "Related posts"):
        assert furniture not in text
    assert parsed.meta["dropped_lines_after"] == 6


def test_a_paragraph_without_a_label_continues_the_previous_speaker() -> None:
    parsed = plain.parse(fixture("podcast_page_turns.txt"))
    tom = parsed.utterances[3]
    assert tom.speaker == "Tom"
    assert tom.text == ("Most of the time it's not that they hated it. It's that the demo answered our questions, "
                        "not theirs. We showed twelve features and they only cared about one workflow.\n"
                        "Honestly, half the time the person in the demo isn't the one who signs. They go back to "
                        "their boss and can't explain the value in one sentence.")


def test_upper_case_labels_without_blank_lines_and_a_bio_after_a_heading_line() -> None:
    parsed = plain.parse(fixture("uppercase_turns.txt"))
    assert parsed.format == "speaker-turns"
    assert [s.label for s in parsed.speakers] == ["INTRO", "LENA", "MARCUS"]
    assert [s.name for s in parsed.speakers] == [None, "Lena", "Marcus"]
    assert parsed.utterances[-1].text == "Follow the show for more conversations with operators."
    text = all_text(parsed)
    assert "This week we dig into" not in text              # the episode blurb above the conversation
    assert "Head of Content" not in text and "Portland" not in text and "newsletter" not in text


@pytest.mark.parametrize("line_a, line_b, start_a", [
    ("Priya: [00:01:02] We need SSO before legal signs off.", "Marc: [00:01:09] That ships next month.", 62),
    ("[00:01:02] Priya: We need SSO before legal signs off.", "[00:01:09] Marc: That ships next month.", 62),
    ("Priya (00:01:02): We need SSO before legal signs off.", "Marc (00:01:09): That ships next month.", 62),
    ("Priya [01:02]: We need SSO before legal signs off.", "Marc [01:09]: That ships next month.", 62),
    ("00:01:02 Priya: We need SSO before legal signs off.", "00:01:09 Marc: That ships next month.", 62),
    ("Priya: We need SSO before legal signs off.", "Marc: That ships next month.", None),
])
def test_every_inline_turn_layout_gives_speaker_time_and_text(line_a: str, line_b: str, start_a) -> None:
    parsed = plain.parse("\n".join([line_a, line_b, line_a, line_b]))
    assert parsed.format == "speaker-turns"
    assert turns(parsed)[:2] == [("Priya", "We need SSO before legal signs off."),
                                 ("Marc", "That ships next month.")]
    assert parsed.utterances[0].start == start_a


@pytest.mark.parametrize("label", ["John Smith", "Dr. Lee", "Mary-Kate O'Neil", "SPEAKER_01", "Speaker 2",
                                   "J. R. Moss", "Ana de la Cruz"])
def test_names_of_several_words_titles_and_tags_are_labels(label: str) -> None:
    assert plain.is_label(label)
    parsed = plain.parse(f"{label}: What does the rollout cost?\nSam: About forty thousand.\n"
                         f"{label}: Per year?\nSam: Per year, yes.")
    assert [s.label for s in parsed.speakers] == [label, "Sam"]


@pytest.mark.parametrize("text", ["Here's the thing", "Note", "The answer", "Bottom Line", "10", "Episode 18",
                                  "https", "Thanks.", "Why not?", "Sales, marketing", "we", "Yeah"])
def test_sentence_starts_and_headings_are_not_labels(text: str) -> None:
    assert not plain.is_label(text)


def test_a_two_line_exchange_is_a_conversation_even_though_no_label_recurs() -> None:
    parsed = plain.parse("Alice: Can we move the call to Friday?\nBob: Friday works.")
    assert turns(parsed) == [("Alice", "Can we move the call to Friday?"), ("Bob", "Friday works.")]


def test_sonix_style_markdown_with_leading_times_is_speaker_turns() -> None:
    parsed = plain.parse("[00:00:00] Chloe Grant: Who signs off on new tools?\n\n"
                         "[00:00:04] Victor Hale: Our COO, after IT reviews security.\n\n"
                         "[00:00:11] Chloe Grant: How long does that review take?\n\n"
                         "[00:00:15] Victor Hale: Usually three weeks.\n")
    assert parsed.format == "speaker-turns"
    assert [(u.speaker, u.start) for u in parsed.utterances] == [
        ("Chloe Grant", 0), ("Victor Hale", 4), ("Chloe Grant", 11), ("Victor Hale", 15)]


# --- exports of transcription tools --------------------------------------------------------------------------

def test_otter_blocks_give_names_times_and_drop_the_otter_footer() -> None:
    parsed = plain.parse(fixture("otter_export.txt"))
    assert parsed.format == "otter"
    assert [(u.speaker, u.start) for u in parsed.utterances] == [
        ("Speaker 1", 0), ("Priya Nair", 5), ("Speaker 1", 11), ("Priya Nair", 18), ("Speaker 1", 62),
        ("Priya Nair", 68)]
    assert "otter.ai" not in all_text(parsed)
    assert [(s.label, s.name) for s in parsed.speakers] == [("Speaker 1", None), ("Priya Nair", "Priya Nair")]


def test_otter_consecutive_blocks_of_one_speaker_become_one_turn() -> None:
    parsed = plain.parse(fixture("otter_export.txt"))
    priya = parsed.utterances[3]
    assert priya.text.endswith("nobody finishes. And the managers don't have time to shadow every call.")
    assert priya.start == 18


def test_zoom_wall_clock_times_become_seconds_from_the_first_line() -> None:
    parsed = plain.parse(fixture("zoom_transcript.txt"))
    assert parsed.format == "zoom-txt"
    assert [(u.speaker, u.start) for u in parsed.utterances] == [
        ("Sam Ortiz", 0), ("Grace Liu", 4), ("Sam Ortiz", 9), ("Grace Liu", 16), ("Sam Ortiz", 95)]
    assert parsed.utterances[3].text == ("Right. So we looked at it with our IT lead, and honestly the price is "
                                         "higher than we expected. The other vendor quoted us about twenty percent "
                                         "less for the same seats.")


def test_zoom_times_keep_counting_past_midnight() -> None:
    parsed = plain.parse(fixture("zoom_midnight.txt"))
    assert [u.start for u in parsed.utterances] == [0, 8, 14]


def test_descript_bold_labels_and_timed_continuation_paragraphs() -> None:
    parsed = plain.parse(fixture("descript_export.md"))
    assert parsed.format == "descript"
    assert [(u.speaker, u.start) for u in parsed.utterances] == [
        ("Rhea Kapoor", 0), ("Ben Walsh", 7), ("Rhea Kapoor", 21), ("Ben Walsh", 25)]
    assert parsed.utterances[1].text == ("Mostly spreadsheets, if I'm honest. Our CSMs track renewal dates in a "
                                         "shared sheet and set calendar reminders ninety days out. It works until "
                                         "someone goes on holiday.")
    assert "**" not in all_text(parsed)


def test_descript_bold_name_with_time_on_its_own_line() -> None:
    parsed = plain.parse(fixture("descript_headers.md"))
    assert parsed.format == "descript"
    assert [(u.speaker, u.start, u.text) for u in parsed.utterances][1] == (
        "Ben Walsh", 6, "In a spreadsheet, and in my head, which is the real problem.")


# --- speaker blocks ------------------------------------------------------------------------------------------

def test_a_name_alone_on_a_line_owns_the_paragraphs_below_it() -> None:
    parsed = plain.parse(fixture("speaker_blocks.txt"))
    assert parsed.format == "speaker-block"
    assert [u.speaker for u in parsed.utterances] == ["Dana Ruiz", "Omar Haddad", "Dana Ruiz", "Omar Haddad"]
    assert parsed.utterances[1].text == ("Sure. Our main worry is the migration window. We process payroll on the "
                                         "last Friday of the month.\nWe really cannot afford any downtime in that "
                                         "week.")
    assert "internal notes" not in all_text(parsed)


def test_an_upper_case_label_with_a_colon_alone_on_a_line() -> None:
    parsed = plain.parse(fixture("speaker_blocks_colon.txt"))
    assert parsed.format == "speaker-block"
    assert [(s.label, s.name) for s in parsed.speakers] == [("MAYA", "Maya"), ("JORDAN", "Jordan")]
    assert parsed.utterances[1].text.endswith("It wasn't about the product at all.")


def test_a_label_line_with_its_time_in_brackets_as_rev_writes_it() -> None:
    parsed = plain.parse("Speaker 1 (00:00:02):\nHi, is this still a good time?\n\n"
                         "Speaker 2 (00:00:05):\nYes, go ahead.\n\n"
                         "Speaker 1 (00:00:09):\nGreat, tell me about your current vendor.\n")
    assert parsed.format == "speaker-block"
    assert [(u.speaker, u.start) for u in parsed.utterances] == [("Speaker 1", 2), ("Speaker 2", 5),
                                                                  ("Speaker 1", 9)]


def test_a_time_line_under_a_label_line_is_the_start_of_that_turn() -> None:
    parsed = plain.parse("Mara:\n0:00\nWhy do trials fail?\n\nTheo:\n0:14\nNobody sets them up.\n\n"
                         "Mara:\n0:41\nSo a guided pilot?\n")
    assert [(u.speaker, u.start, u.text) for u in parsed.utterances] == [
        ("Mara", 0, "Why do trials fail?"), ("Theo", 14, "Nobody sets them up."), ("Mara", 41, "So a guided pilot?")]


def test_a_one_off_heading_above_paragraphs_is_not_a_speaker_block() -> None:
    parsed = plain.parse("Quarterly Review\n\nRevenue grew nine percent on the back of two enterprise renewals.\n\n"
                         "Churn stayed flat, though two smaller accounts asked for discounts at renewal time.\n")
    assert parsed.format == "paragraphs"
    assert parsed.speakers == []


# --- timestamp lines -----------------------------------------------------------------------------------------

def test_timestamp_lines_keep_each_cue_with_its_start_and_no_speaker() -> None:
    parsed = plain.parse(fixture("timestamp_lines.txt"))
    assert parsed.format == "timestamp-lines"
    assert [u.start for u in parsed.utterances] == [1, 4, 7, 12, 65, 3730]
    assert all(u.speaker is None for u in parsed.utterances)
    assert parsed.speakers == []
    assert parsed.utterances[3].text == ("Yes, we're comparing three tools right now, and yours is the most "
                                         "expensive one on the list.")


def test_speaker_lines_under_cues_name_the_speaker_and_merge_turns() -> None:
    parsed = plain.parse(fixture("timestamp_lines_annotated.txt"))
    assert parsed.format == "timestamp-lines"
    assert [(u.speaker, u.start) for u in parsed.utterances] == [("agent", 2), ("prospect", 9), ("agent", 21),
                                                                  (None, 27)]
    assert parsed.utterances[1].text == ("I've done a few practice tests, but my scores are stuck around the same "
                                         "number. Honestly the course fee is a lot for me right now.")
    assert "Speaker:" not in all_text(parsed)
    assert [(s.label, s.role) for s in parsed.speakers] == [("agent", "rep"), ("prospect", "buyer")]


def test_a_cue_without_a_speaker_line_is_not_guessed() -> None:
    parsed = plain.parse(fixture("timestamp_lines_annotated.txt"))
    assert parsed.utterances[-1].speaker is None
    assert parsed.utterances[-1].text == "Okay."


def test_times_leading_each_paragraph_without_speakers_after_a_title() -> None:
    parsed = plain.parse("renewal-call-notes\n===\n\n[00:00:00] We should start with the pricing question.\n\n"
                         "[00:00:21] The customer asked twice about annual billing [00:00:30] and the discount.\n")
    assert parsed.format == "timestamp-lines"
    assert [(u.speaker, u.start) for u in parsed.utterances] == [(None, 0), (None, 21)]
    assert parsed.meta["dropped_lines_before"] == 2


# --- Q&A interviews ------------------------------------------------------------------------------------------

def test_question_paragraphs_alternate_interviewer_and_interviewee() -> None:
    parsed = plain.parse(fixture("qa_interview.txt"))
    assert parsed.format == "qa-interview"
    assert [u.speaker for u in parsed.utterances] == ["Interviewer", "Interviewee"] * 3
    assert parsed.utterances[0].text == "What made you look for a new CRM last year?"
    assert parsed.utterances[3].text.endswith("not in vague productivity gains.")
    assert "Jane Okafor leads" not in all_text(parsed)
    assert [(s.label, s.name, s.role) for s in parsed.speakers] == [("Interviewer", None, "host"),
                                                                     ("Interviewee", None, "guest")]


def test_q_and_a_prefixes_become_interviewer_and_interviewee() -> None:
    parsed = plain.parse(fixture("qa_prefixed.txt"))
    assert parsed.format == "qa-interview"
    assert turns(parsed)[2:4] == [
        ("Interviewer", "Was price part of the decision?"),
        ("Interviewee", "It was higher with the new vendor, but support made up for it. We get a named engineer "
                        "instead of a ticket queue.")]


def test_bold_questions_that_do_not_end_in_a_question_mark() -> None:
    parsed = plain.parse("**Tell me about your last renewal.**\n\nWe nearly lost it because our champion left.\n\n"
                         "**And the one before that?**\n\nThat one went smoothly, we signed in a week.\n\n"
                         "**Describe your ideal vendor for me.**\n\nI want one person I can call when things break.\n")
    assert parsed.format == "qa-interview"
    assert turns(parsed)[0] == ("Interviewer", "Tell me about your last renewal.")


def test_a_blog_post_with_question_subheadings_is_prose_not_an_interview() -> None:
    parsed = plain.parse("Deals stall for many reasons. This post covers the three we see most often.\n\n"
                         "Why do deals stall after the demo?\n\n"
                         "Because the champion cannot retell the story to the budget holder.\n\n"
                         "What should teams change?\n\n"
                         "Teams should send a short recap the same day and name the next step with a date.\n")
    assert parsed.format == "paragraphs"


# --- prose ---------------------------------------------------------------------------------------------------

def test_prose_with_colons_and_clock_times_never_becomes_speakers() -> None:
    parsed = plain.parse(fixture("prose_with_colons.txt"))
    assert parsed.format == "paragraphs"
    assert parsed.speakers == []
    assert [u.text for u in parsed.utterances][1:3] == [
        "Here's the thing: we lost the Harbor deal because procurement stalled for six weeks, not because of price.",
        "Note: the renewal call with Harbor is now at 10:30 on Tuesday, and their CFO will join for the first time."]


def test_a_few_label_like_lines_in_a_long_essay_are_not_a_conversation() -> None:
    sentence = "Our win rate fell in the spring, and the reasons were not the ones we expected at all."
    essay = "\n\n".join([sentence] * 12)
    parsed = plain.parse("Summary Notes: pricing came up twice.\n\n" + essay + "\n\nSummary Notes: follow up.\n")
    assert parsed.format == "paragraphs"


def test_prose_paragraphs_are_one_utterance_each_with_wrapped_lines_joined() -> None:
    parsed = plain.parse("The buyer said the onboarding\nfelt rushed and confusing.\n\n"
                         "Procurement wanted a second quote before approving anything over budget.\n")
    assert turns(parsed) == [(None, "The buyer said the onboarding felt rushed and confusing."),
                             (None, "Procurement wanted a second quote before approving anything over budget.")]


# --- merging, errors, encodings ------------------------------------------------------------------------------

def test_merging_joins_consecutive_turns_of_one_speaker_keeping_first_start_and_last_end() -> None:
    merged = plain.merge_same_speaker([
        Utterance(0, "Ana", "We liked the demo.", 1.0, 4.0),
        Utterance(1, "Ana", "But the price is high.", 4.5, 7.0),
        Utterance(2, "Raj", "Understood.", 7.5, 8.0),
        Utterance(3, None, "Untagged one.", 9.0, None),
        Utterance(4, None, "Untagged two.", 10.0, None),
    ])
    assert merged == [
        Utterance(0, "Ana", "We liked the demo. But the price is high.", 1.0, 7.0),
        Utterance(1, "Raj", "Understood.", 7.5, 8.0),
        Utterance(2, None, "Untagged one.", 9.0, None),
        Utterance(3, None, "Untagged two.", 10.0, None),
    ]


def test_consecutive_labelled_turns_of_the_same_speaker_are_merged() -> None:
    parsed = plain.parse("Ana: We liked the demo.\nAna: But the price is high.\nRaj: Understood.\nAna: Good.")
    assert turns(parsed) == [("Ana", "We liked the demo. But the price is high."), ("Raj", "Understood."),
                             ("Ana", "Good.")]


def test_garbage_raises_e206_with_the_line_where_it_starts() -> None:
    with pytest.raises(InsightsError) as err:
        plain.parse("\n\n" + fixture("garbage.txt"))
    assert err.value.code == "E206"
    assert err.value.line == 3


@pytest.mark.parametrize("text", ["hello", "Alice:\n\nBob:\n", "0:01\n\n0:02\n", "ok ok ok"])
def test_tiny_text_or_labels_without_speech_raise_e206(text: str) -> None:
    with pytest.raises(InsightsError) as err:
        plain.parse(text)
    assert err.value.code == "E206"


def test_sniff_accepts_any_text_with_content_as_the_last_resort() -> None:
    assert plain.sniff("anything at all")
    assert not plain.sniff(" \n\t\n")


def test_crlf_file_parses_like_its_lf_twin_through_parse_bytes() -> None:
    data = (FIXTURES / "crlf_turns.txt").read_bytes()
    assert b"\r\n" in data
    parsed = parse_bytes(data, "crlf_turns.txt")
    assert parsed.format == "speaker-turns"
    assert turns(parsed) == turns(plain.parse(data.decode("utf-8").replace("\r\n", "\n")))
    assert not any("\r" in u.text for u in parsed.utterances)
    assert [(s.label, s.role) for s in parsed.speakers] == [("Rep", "rep"), ("Alex", None)]


def test_a_raw_crlf_string_parses_through_text_parse_too() -> None:
    parsed = plain.parse("Ana: We liked the demo.\r\nRaj: Good to hear.\r\n")
    assert turns(parsed) == [("Ana", "We liked the demo."), ("Raj", "Good to hear.")]


def test_windows_1252_file_keeps_accents_curly_quotes_and_the_euro_sign() -> None:
    parsed = parse_bytes((FIXTURES / "cp1252_turns.txt").read_bytes(), "cp1252_turns.txt")
    assert parsed.meta["encoding"] == "cp1252"
    assert [s.label for s in parsed.speakers] == ["Zoë Martín", "Luis Peña"]
    assert parsed.utterances[0].text == "We’re not saying “no” to the platform – we’re saying “not this quarter”."
    assert parsed.utterances[2].text == "A price under €40 per seat… and a pilot we can cancel."


@pytest.mark.parametrize("text, seconds", [("0:42", 42), ("12:05", 725), ("1:02:03", 3723), ("[00:01:02]", 62),
                                           ("(0:42)", 42), ("00:00:01.500", 1.5), ("00:00:01,250", 1.25)])
def test_times_are_read_as_seconds(text: str, seconds: float) -> None:
    assert plain.parse_time(text) == seconds


@pytest.mark.parametrize("label, name", [("KRISTA", "Krista"), ("JOHN SMITH", "John Smith"), ("DJ", "DJ"),
                                         ("Frank", "Frank"), ("Speaker 1", None), ("SPEAKER_00", None),
                                         ("A", None), ("Interviewer", None), ("agent", None)])
def test_display_names_come_from_name_labels_only(label: str, name: str | None) -> None:
    assert plain.display_name(label) == name


# --- detection through the registry --------------------------------------------------------------------------

@pytest.mark.parametrize("name, fmt", [
    ("podcast_page_turns.txt", "speaker-turns"),
    ("uppercase_turns.txt", "speaker-turns"),
    ("otter_export.txt", "otter"),
    ("zoom_transcript.txt", "zoom-txt"),
    ("descript_export.md", "descript"),
    ("descript_headers.md", "descript"),
    ("speaker_blocks.txt", "speaker-block"),
    ("speaker_blocks_colon.txt", "speaker-block"),
    ("timestamp_lines.txt", "timestamp-lines"),
    ("timestamp_lines_annotated.txt", "timestamp-lines"),
    ("qa_interview.txt", "qa-interview"),
    ("qa_prefixed.txt", "qa-interview"),
    ("prose_with_colons.txt", "paragraphs"),
    ("artefacts.txt", "speaker-turns"),
])
def test_registry_detects_each_plain_text_layout_by_content(name: str, fmt: str) -> None:
    assert parse_text(fixture(name), name).format == fmt


def test_registry_names_the_file_in_the_e206_error() -> None:
    with pytest.raises(InsightsError) as err:
        parse_text(fixture("garbage.txt"), "notes/garbage.txt")
    assert err.value.code == "E206"
    assert "notes/garbage.txt:1" in str(err.value)


def test_loading_a_file_cleans_every_utterance_of_artefacts(tmp_path: Path) -> None:
    path = tmp_path / "call.txt"
    path.write_bytes((FIXTURES / "artefacts.txt").read_bytes())
    transcript = load_transcript(path)
    assert [u.text for u in transcript.utterances] == [
        "So the integration was the part that worried our IT team.",
        "Sorry, go ahead.",
        "No, you first. I think we covered the security review already.",
        "Security reviews should start on day one, not at contract stage.",
        "Agreed. Let's pick up pricing next week.",
    ]
    assert [s.label for s in transcript.speakers] == ["Carla", "Deepak"]


def test_hard_wrapped_last_turn_keeps_its_wrapped_lines_but_not_the_page_below() -> None:
    parsed = plain.parse("Frank: Thanks for coming on the show today, it is\ngreat to have you here.\n"
                         "Joe: Glad to be here, and thanks\nfor the kind words.\n"
                         "Frank: Let us wrap it there, and see you all\nnext week.\n"
                         "Subscribe to Updates\nAbout the Author\n")
    assert parsed.utterances[-1].text == "Let us wrap it there, and see you all next week."
    assert parsed.meta["dropped_lines_after"] == 2
