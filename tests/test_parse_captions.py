"""Caption files (WebVTT, SRT, SBV) read as speaker turns, tolerant of real exports, strict where text would be lost."""
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insights.errors import InsightsError
from insights.parse import captions, parse_bytes

FIXTURES = Path(__file__).parent / "fixtures" / "captions"


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def turns(parsed):
    return [(u.speaker, u.text) for u in parsed.utterances]


def error_of(text: str) -> InsightsError:
    with pytest.raises(InsightsError) as err:
        captions.parse(text)
    return err.value


# -- sniffing --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["zoom_discovery.vtt", "teams_pricing.vtt", "podcast_voice.vtt",
                                  "youtube_auto.vtt", "renewal_call.srt", "webinar.sbv", "headerless.vtt"])
def test_every_caption_fixture_is_recognised(name):
    assert captions.sniff(read(name))


@pytest.mark.parametrize("text", [
    "[00:01:02] Maya: We keep losing deals on price.\n[00:01:09] Rachel: Same here.",
    "Maya Chen  0:42\nThanks for joining.\n\nRachel Ortiz  0:47\nHappy to.",
    "Maya: The call starts at 10:30.\nRachel: Then we review 00:00:01,000 --> 00:00:02,000 formats.",
    "Meeting notes\n\n00:00:01.000 --> 00:00:02.000\nlater in the file",
    '{"segments": []}',
    "WEBVTTX is not a header\n00:00:01.000 x 00:00:02.000",
])
def test_plain_transcripts_that_merely_contain_a_timestamp_are_not_claimed(text):
    assert not captions.sniff(text)


def test_a_vtt_header_alone_is_claimed_so_an_empty_export_gets_a_caption_error():
    assert captions.sniff("WEBVTT\n")
    assert error_of("WEBVTT\n").code == "E204"


def test_a_first_cue_with_a_broken_timing_is_still_claimed_so_the_error_names_the_line():
    text = "1\n00:00:01 --> 00:00:10\nThe quote is too high.\n"
    assert captions.sniff(text)
    err = error_of(text)
    assert (err.code, err.line) == ("E203", 2)


# -- WebVTT: Zoom, Teams, podcasts, YouTube ----------------------------------------------------------------------

def test_zoom_names_in_cue_text_become_speakers_and_consecutive_cues_of_one_speaker_merge():
    parsed = captions.parse(read("zoom_discovery.vtt"))
    assert parsed.format == "webvtt"
    assert turns(parsed) == [
        ("Maya Chen", "Thanks for making time today, Rachel. I'd love to hear how your team handles onboarding "
                      "right now."),
        ("Rachel Ortiz", "Honestly, it's a mess. We copy the same checklist into three different tools. And every "
                         "time someone leaves, the knowledge walks out the door with them."),
        ("Maya Chen", "That sounds painful. How many new hires a month?"),
        ("Rachel Ortiz", "About forty, more in the spring."),
    ]
    first = parsed.utterances[0]
    assert (first.index, first.start, first.end) == (0, 1.12, 8.95)   # first cue's start, last cue's end
    assert [(s.label, s.name) for s in parsed.speakers] == [("Maya Chen", "Maya Chen"),
                                                            ("Rachel Ortiz", "Rachel Ortiz")]


def test_teams_loose_timestamps_guid_ids_voice_tags_and_entities():
    parsed = captions.parse(read("teams_pricing.vtt"))
    assert turns(parsed) == [
        ("Priya Natarajan", "So the quote came in higher than we budgeted for. Our CFO will ask why we can't just "
                            "stay on spreadsheets and keep the money."),
        ("Tom Becker", "Fair question. Think of it like insurance & a seatbelt: you only notice it when something "
                       "goes wrong."),
        ("Priya Natarajan", 'Hmm, "insurance" is a hard sell in Q4.'),
    ]
    assert [(u.start, u.end) for u in parsed.utterances] == [(0.21, 9.5), (10.3, 16.2), (16.9, 19.0)]


def test_loose_teams_timestamps_read_each_field_as_a_number():
    assert captions.parse_timestamp("0:0:0.210") == pytest.approx(0.21)
    assert captions.parse_timestamp("0:0:4.8") == pytest.approx(4.8)
    assert captions.parse_timestamp("1:02:03.5") == pytest.approx(3723.5)
    assert captions.parse_timestamp("02:03.250") == pytest.approx(123.25)     # no hours
    assert captions.parse_timestamp("00:00:01,000") == pytest.approx(1.0)     # SRT comma
    assert captions.parse_timestamp("00:00:61.000") is None
    assert captions.parse_timestamp("00:00:01") is None                       # a caption time has a fraction


def test_voice_tags_with_classes_notes_styles_regions_and_cue_ids_are_handled():
    parsed = captions.parse(read("podcast_voice.vtt"))
    assert turns(parsed) == [
        ("Dana Whitfield", "Welcome back. Today we're talking about churn. My guest runs customer success at a "
                           "payroll startup."),
        ("Luis Romero", "Thanks, Dana. Churn is like a slow leak in a tyre: you don't see it until you're on the rim."),
        ("Dana Whitfield", "Ha. So where does the leak usually start?"),
        ("Luis Romero", "In the first ninety days. If setup takes a month, people give up."),
    ]
    assert parsed.utterances[0].start == 2.0
    assert parsed.meta["language"] == "en"
    assert "color" not in " ".join(u.text for u in parsed.utterances)


def test_several_voices_in_one_cue_become_separate_turns():
    text = ("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Maya>Is budget approved?</v>\n<v Rachel>Not yet.</v>\n\n"
            "00:00:04.000 --> 00:00:06.000\n<v Rachel>Maybe next month.</v>\n")
    assert turns(captions.parse(text)) == [("Maya", "Is budget approved?"), ("Rachel", "Not yet. Maybe next month.")]


def test_youtube_rolling_captions_keep_each_word_once():
    parsed = captions.parse(read("youtube_auto.vtt"))
    assert turns(parsed) == [(None, "so the biggest objection we hear is about price and the time to switch")]
    assert (parsed.utterances[0].start, parsed.utterances[0].end) == (0.0, 7.9)
    assert parsed.meta["rolling_captions"] is True


def test_youtube_captions_whose_blank_first_lines_were_trimmed_still_parse():
    trimmed = "\n".join(line.rstrip() for line in read("youtube_auto.vtt").split("\n"))
    assert turns(captions.parse(trimmed)) == [
        (None, "so the biggest objection we hear is about price and the time to switch")]


def test_rolling_duplicate_lines_without_karaoke_tags_are_also_collapsed():
    cues = ["we tried", "we tried\nthree vendors", "three vendors\nand none of them", "and none of them\nfit"]
    text = "WEBVTT\n\n" + "\n\n".join(f"00:00:0{i}.000 --> 00:00:0{i + 1}.000\n{c}" for i, c in enumerate(cues))
    assert turns(captions.parse(text)) == [(None, "we tried three vendors and none of them fit")]


def test_repeated_sentences_in_ordinary_captions_are_not_deduplicated():
    text = ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nNo.\n\n00:00:02.000 --> 00:00:03.000\nNo.\n\n"
            "00:00:03.000 --> 00:00:04.000\nAbsolutely not.\n")
    assert [t for _, t in turns(captions.parse(text))] == ["No.", "No.", "Absolutely not."]


def test_cue_markup_karaoke_timestamps_and_subtitle_formatting_are_stripped():
    text = ("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<c.yellow>Our</c> <i>renewal</i> <00:00:02.000><b>slipped</b>"
            "\n\n00:00:03.000 --> 00:00:05.000\n{\\an8}<font color=\"#ff0000\">to</font> <u>March</u>.\n")
    assert turns(captions.parse(text)) == [(None, "Our renewal slipped to March.")]


def test_html_entities_are_unescaped_after_tags_are_removed():
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nR&amp;D &lt;b&gt; costs &gt; 10&nbsp;%\n"
    assert captions.parse(text).utterances[0].text == "R&D <b> costs > 10 %"


def test_a_vtt_without_its_header_still_parses_and_says_so():
    parsed = captions.parse(read("headerless.vtt"))
    assert parsed.format == "webvtt"
    assert "no WEBVTT header" in parsed.meta["note"]
    assert turns(parsed) == [("Sam", "Can you send the security questionnaire?"),
                             ("Nina", "Sure, I'll send it by Friday.")]


def test_header_text_and_metadata_lines_are_not_speech():
    text = "WEBVTT - Q3 board prep\nKind: captions\nLanguage: de\n\n00:00:01.000 --> 00:00:02.000\nHallo zusammen.\n"
    parsed = captions.parse(text)
    assert turns(parsed) == [(None, "Hallo zusammen.")]
    assert parsed.meta["language"] == "de"


# -- SRT and SBV ---------------------------------------------------------------------------------------------------

def test_srt_speaker_prefixes_carry_over_to_the_cues_that_continue_the_turn():
    parsed = captions.parse(read("renewal_call.srt"))
    assert parsed.format == "srt"
    assert turns(parsed) == [
        ("Jordan", "Before we talk renewal, how has the last quarter gone? I know the reporting rollout was bumpy."),
        ("Alex Kim", "Bumpy is generous. Our analysts still export to Excel because the dashboards time out."),
        ("Jordan", "That's on us. What would fix it for you?"),
        ("Alex Kim", "Faster dashboards, or we walk at renewal. It's that simple."),
    ]
    assert (parsed.utterances[1].start, parsed.utterances[1].end) == (7.8, 15.05)


def test_srt_without_index_lines_and_with_dots_before_milliseconds():
    text = ("00:00:01.000 --> 00:00:03,500\nThe pilot went well.\n\n"
            "00:00:04,000 --> 00:00:06,000\nBut legal review takes weeks.\n")
    parsed = captions.parse(text)
    assert parsed.format == "srt"
    assert [u.text for u in parsed.utterances] == ["The pilot went well.", "But legal review takes weeks."]


def test_srt_cues_without_blank_lines_between_them_drop_the_next_index():
    text = "1\n00:00:01,000 --> 00:00:02,000\nFirst line\n2\n00:00:02,000 --> 00:00:03,000\nsecond line.\n"
    assert turns(captions.parse(text)) == [(None, "First line second line.")]


def test_sbv_timings_and_multi_line_cues():
    parsed = captions.parse(read("webinar.sbv"))
    assert parsed.format == "sbv"
    assert [(u.text, u.start, u.end) for u in parsed.utterances] == [
        ("Welcome everyone to the onboarding webinar.", 0.4, 3.1),
        ("Today we'll cover imports, permissions and the new approval flow.", 3.1, 6.8),
        ("First, imports.", 9.5, 12.0),
    ]


def test_an_end_time_before_the_start_is_clamped_to_the_start():
    parsed = captions.parse("0:00:05.000,0:00:04.000\nBackwards cue.\n")
    assert (parsed.utterances[0].start, parsed.utterances[0].end) == (5.0, 5.0)


# -- merge rules -----------------------------------------------------------------------------------------------

def srt(*cues: tuple[float, float, str]) -> str:
    def ts(t: float) -> str:
        return f"00:{int(t) // 60:02d}:{int(t) % 60:02d},{round(t % 1 * 1000):03d}"
    return "\n\n".join(f"{i}\n{ts(a)} --> {ts(b)}\n{text}" for i, (a, b, text) in enumerate(cues, 1)) + "\n"


def test_unlabelled_cues_merge_until_a_sentence_ends():
    parsed = captions.parse(srt((0, 1, "We looked at"), (1, 2, "three vendors."), (2, 3, "None fit"),
                                (3, 4, "our stack.")))
    assert [u.text for u in parsed.utterances] == ["We looked at three vendors.", "None fit our stack."]
    assert all(u.speaker is None for u in parsed.utterances)


def test_unlabelled_cues_split_at_a_pause_of_two_seconds_or_more():
    parsed = captions.parse(srt((0, 1, "so the budget"), (2.9, 4, "is frozen"), (6, 7, "until April")))
    assert [u.text for u in parsed.utterances] == ["so the budget is frozen", "until April"]


def test_unpunctuated_unlabelled_speech_is_cut_into_bounded_turns():
    cues = [(i, i + 1, f"then for team {i} we need a cheaper plan because the budget is flat") for i in range(20)]
    parsed = captions.parse(srt(*cues))
    assert len(parsed.utterances) > 1
    assert max(len(u.text.split()) for u in parsed.utterances) <= captions.MAX_WORDS + 12


def test_labelled_cues_of_one_speaker_merge_even_across_pauses_and_sentence_ends():
    parsed = captions.parse(srt((0, 1, "Maya: Pricing first."), (10, 11, "Maya: Then security."),
                                (12, 13, "Rachel: Fine."), (13, 14, "Maya: Great.")))
    assert turns(parsed) == [("Maya", "Pricing first. Then security."), ("Rachel", "Fine."), ("Maya", "Great.")]
    assert (parsed.utterances[0].start, parsed.utterances[0].end) == (0, 11)


def test_a_colon_inside_ordinary_speech_is_not_a_speaker():
    parsed = captions.parse(srt((0, 1, "Here's the thing: nobody reads the manual."),
                                (1, 2, "Note: the pilot ends Friday."), (2, 3, "Plans change.")))
    assert all(u.speaker is None for u in parsed.utterances)
    assert parsed.utterances[0].text == "Here's the thing: nobody reads the manual."


def test_a_one_time_guest_is_a_speaker_once_other_names_recur():
    parsed = captions.parse(srt((0, 1, "Travis: Welcome."), (1, 2, "Sarah: Thanks."), (2, 3, "Travis: So."),
                                (3, 4, "Sarah: Yes."), (4, 5, "Gilon Adler: One question."), (5, 6, "more words"),
                                (6, 7, "and more"), (7, 8, "and more"), (8, 9, "and more"), (9, 10, "and more"),
                                (10, 11, "and more")))
    assert "Gilon Adler" in [s.label for s in parsed.speakers]


def test_generic_labels_are_speakers_without_a_personal_name():
    parsed = captions.parse(srt((0, 1, "SPEAKER_00: Hi."), (1, 2, "SPEAKER_01: Hello.")))
    assert [(s.label, s.name) for s in parsed.speakers] == [("SPEAKER_00", None), ("SPEAKER_01", None)]


def test_empty_cues_are_skipped_and_counted():
    parsed = captions.parse("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\n00:00:02.000 --> 00:00:03.000\nStill here.\n")
    assert turns(parsed) == [(None, "Still here.")]
    assert parsed.meta["empty_cues"] == 1


# -- errors ----------------------------------------------------------------------------------------------------

def test_srt_with_a_broken_timing_names_the_line():
    err = error_of(read("broken_timing.srt"))
    assert (err.code, err.line) == ("E203", 6)
    assert "00:00:0x,200" in err.message


def test_text_that_lost_its_timing_line_is_an_error_naming_it_not_silently_dropped():
    err = error_of(read("missing_timing.srt"))
    assert (err.code, err.line) == ("E203", 6)
    assert "Legal needs a month" in err.message


@pytest.mark.parametrize("text, line", [
    ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nWe signed.\n\nThey never paid.\n", 6),
    ("0:00:01.000,0:00:02.000\nWe signed.\n\nThey never paid.\n", 4),
])
def test_stray_text_between_vtt_or_sbv_cues_is_an_error_naming_its_line(text, line):
    err = error_of(text)
    assert (err.code, err.line) == ("E203", line)


def test_a_vtt_with_no_cues_says_so():
    assert error_of(read("no_cues.vtt")).code == "E204"


def test_cues_whose_text_is_only_markup_count_as_no_cues():
    assert error_of("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<c></c> <i> </i>\n").code == "E204"


@pytest.mark.parametrize("line", ["00:00:01.000 --> 00:01:75.000", "00:00:01.000 -->", "1:2 --> 00:00:02.000"])
def test_impossible_or_incomplete_vtt_timings_are_errors(line):
    err = error_of(f"WEBVTT\n\n{line}\nText.\n")
    assert (err.code, err.line) == ("E203", 3)


def test_a_broken_sbv_timing_names_the_line():
    err = error_of("0:00:00.400,0:00:03.100\nHello.\n\n0:00:03.1x0,0:00:06.800\nBroken.\n")
    assert (err.code, err.line) == ("E203", 4)


# Caption-like fragments, so generated input exercises the parser's branches rather than only the first check.
_FRAGMENTS = st.sampled_from([
    "WEBVTT", "", " ", "1", "00:00:01.000 --> 00:00:02.000", "0:0:1.5 --> 0:0:2.0 align:start", "00:01,5 --> 9",
    "0:00:01.000,0:00:02.000", "0:00:0x.000,0:00:02.000", "<v Maya>Hi</v>", "<v>", "</v>", "Maya: hi.", "NOTE x",
    "STYLE", "&amp;", "<00:00:01.000><c> word</c>", "text", "-->", "Rachel:", "{\\an8}", "<v.a.b Name",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=14), st.text(max_size=30))
def test_malformed_captions_raise_only_coded_errors(fragments, noise):
    text = "\n".join(fragments) + noise
    try:
        parsed = captions.parse(text)
    except InsightsError as err:
        assert err.code in {"E203", "E204"}
    else:
        assert parsed.utterances and all(u.text for u in parsed.utterances)


# -- through the registry --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, fmt", [("zoom_discovery.vtt", "webvtt"), ("teams_pricing.vtt", "webvtt"),
                                       ("renewal_call.srt", "srt"), ("webinar.sbv", "sbv"),
                                       ("headerless.vtt", "webvtt")])
def test_the_registry_detects_caption_files_by_content(name, fmt):
    assert parse_bytes((FIXTURES / name).read_bytes(), name).format == fmt


def test_a_utf16_srt_with_windows_line_endings_parses_through_the_registry():
    data = "\ufeff" + read("renewal_call.srt").replace("\n", "\r\n")
    parsed = parse_bytes(data.encode("utf-16-le"), "renewal.srt")
    assert parsed.format == "srt"
    assert parsed.utterances[0].speaker == "Jordan"


def test_a_caption_error_from_the_registry_names_the_file_and_line():
    with pytest.raises(InsightsError) as err:
        parse_bytes((FIXTURES / "broken_timing.srt").read_bytes(), "calls/broken.srt")
    assert err.value.where() == "calls/broken.srt:6"
