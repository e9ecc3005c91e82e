"""JSON transcripts: each service's shape is recognised by its keys and read into the same kind of turns."""
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insights.errors import InsightsError
from insights.parse import jsonfmt, parse_bytes

FIXTURES = Path(__file__).parent / "fixtures" / "json"


def load(name: str):
    return jsonfmt.parse((FIXTURES / name).read_text(encoding="utf-8"))


def parse_obj(obj):
    return jsonfmt.parse(json.dumps(obj))


def turns(parsed):
    return [(u.speaker, u.text) for u in parsed.utterances]


def timed(parsed):
    return [(u.speaker, u.text, u.start, u.end) for u in parsed.utterances]


def error_of(text: str) -> InsightsError:
    with pytest.raises(InsightsError) as err:
        jsonfmt.parse(text)
    return err.value


# -- sniffing --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ['{"segments": []}', '  \n[{"text": "hi"}]', "[]", '{"broken": '])
def test_json_objects_and_arrays_of_objects_are_claimed(text):
    assert jsonfmt.sniff(text)


@pytest.mark.parametrize("text", ["[00:01:02] Maya: We need SSO.", "[Maya Chen] 00:00:01\nHello", "Maya: {curly}",
                                  ""])
def test_bracketed_text_transcripts_are_not_taken_for_json(text):
    assert not jsonfmt.sniff(text)


# -- Whisper and WhisperX --------------------------------------------------------------------------------------

def test_whisper_segments_without_speakers_merge_into_sentences():
    parsed = load("whisper_demo.json")
    assert parsed.format == "whisper-json"
    assert timed(parsed) == [
        (None, "We switched from spreadsheets last spring.", 0.0, 3.9),
        (None, "It saved us about ten hours a week.", 4.1, 7.0),
        (None, "The hard part was getting finance on board.", 9.5, 12.75),
    ]
    assert parsed.speakers == []
    assert parsed.meta["language"] == "en"


def test_whisper_with_empty_segments_falls_back_to_its_text():
    parsed = parse_obj({"text": " Price is fine. Timing is not.", "segments": []})
    assert turns(parsed) == [(None, "Price is fine."), (None, "Timing is not.")]


def test_whisperx_merges_consecutive_segments_of_a_speaker_and_leaves_unattributed_ones_unlabelled():
    parsed = load("whisperx_demo.json")
    assert parsed.format == "whisperx-json"
    assert timed(parsed) == [
        ("SPEAKER_00", "How are you handling security reviews today?", 0.31, 3.2),
        ("SPEAKER_01", "Mostly by email, which is slow. Each questionnaire takes our team two weeks.", 3.9, 9.05),
        (None, "[inaudible]", 9.6, 10.2),
        ("SPEAKER_00", "Two weeks per vendor?", 10.8, 13.0),
    ]
    assert [(s.label, s.name) for s in parsed.speakers] == [("SPEAKER_00", None), ("SPEAKER_01", None)]


def test_a_top_level_list_of_diarized_segments_reads_as_whisperx():
    parsed = parse_obj([{"start": 0.0, "end": 1.0, "text": " Hi.", "speaker": "SPEAKER_00"},
                        {"start": 1.0, "end": 2.0, "text": " Hello.", "speaker": "SPEAKER_01"}])
    assert parsed.format == "whisperx-json"
    assert turns(parsed) == [("SPEAKER_00", "Hi."), ("SPEAKER_01", "Hello.")]


# -- AssemblyAI ----------------------------------------------------------------------------------------------------

def test_assemblyai_utterances_convert_milliseconds_to_seconds():
    parsed = load("assemblyai_call.json")
    assert parsed.format == "assemblyai-json"
    assert timed(parsed) == [
        ("A", "Thanks for hopping on.", 0.12, 1.04),
        ("B", "Happy to. Our main worry is the migration.", 1.5, 4.65),
        ("A", "Totally fair.", 5.0, 5.9),
    ]
    assert [s.label for s in parsed.speakers] == ["A", "B"]


def test_assemblyai_without_utterances_builds_sentences_from_words():
    parsed = load("assemblyai_words_only.json")
    assert timed(parsed) == [(None, "Can we start with pricing?", 0.0, 1.3), (None, "Sure.", 1.8, 2.2),
                             (None, "It depends on seats.", 2.4, 3.5)]


def test_assemblyai_words_with_speakers_break_at_speaker_changes():
    words = [{"text": "Budget", "start": 0, "end": 300, "speaker": "A"},
             {"text": "approved", "start": 300, "end": 700, "speaker": "A"},
             {"text": "Great", "start": 900, "end": 1200, "speaker": "B"}]
    parsed = parse_obj({"audio_url": "x", "utterances": None, "words": words, "text": "Budget approved Great"})
    assert turns(parsed) == [("A", "Budget approved"), ("B", "Great")]


def test_assemblyai_with_only_text_splits_it_into_sentences():
    parsed = parse_obj({"audio_url": "x", "utterances": [], "words": [], "text": "We churned. Support was slow!"})
    assert turns(parsed) == [(None, "We churned."), (None, "Support was slow!")]


def test_assemblyai_sentences_and_paragraphs_endpoints_are_read():
    sentences = parse_obj({"id": "s", "sentences": [{"text": "Hi.", "start": 0, "end": 500, "speaker": "A"},
                                                    {"text": "Hey.", "start": 600, "end": 900, "speaker": "B"}]})
    paragraphs = parse_obj({"id": "p", "paragraphs": [{"text": "First part.", "start": 0, "end": 2000},
                                                      {"text": "Second part.", "start": 2500, "end": 4000}]})
    assert timed(sentences) == [("A", "Hi.", 0.0, 0.5), ("B", "Hey.", 0.6, 0.9)]
    assert turns(paragraphs) == [(None, "First part."), (None, "Second part.")]


# -- Deepgram ------------------------------------------------------------------------------------------------------

def test_deepgram_utterances_with_integer_speakers_get_readable_labels():
    parsed = load("deepgram_call.json")
    assert parsed.format == "deepgram-json"
    assert timed(parsed) == [
        ("Speaker 0", "Thanks for calling Northwind support.", 0.0, 2.1),
        ("Speaker 1", "I want to cancel my plan. The app keeps freezing on my tablet.", 2.8, 6.9),
    ]


def test_deepgram_without_utterances_falls_back_to_paragraphs():
    data = json.loads((FIXTURES / "deepgram_call.json").read_text())
    del data["results"]["utterances"]
    parsed = parse_obj(data)
    assert turns(parsed) == [("Speaker 0", "Thanks for calling Northwind support."),
                             ("Speaker 1", "I want to cancel my plan. The app keeps freezing on my tablet.")]


def test_deepgram_with_only_a_transcript_falls_back_to_its_sentences():
    parsed = parse_obj({"results": {"channels": [{"alternatives": [{"transcript": "Too slow. Too pricey."}]}]}})
    assert turns(parsed) == [(None, "Too slow."), (None, "Too pricey.")]


def test_deepgram_multichannel_without_diarization_labels_turns_by_channel():
    parsed = parse_obj({"results": {"channels": [{"alternatives": []}, {"alternatives": []}], "utterances": [
        {"start": 0, "end": 1, "transcript": "Hello?", "channel": 0},
        {"start": 1, "end": 2, "transcript": "Hi, it's Beth.", "channel": 1}]}})
    assert turns(parsed) == [("Channel 0", "Hello?"), ("Channel 1", "Hi, it's Beth.")]


# -- Rev.ai, Podcasting 2.0 ----------------------------------------------------------------------------------------

def test_revai_elements_join_into_text_with_names_and_word_times():
    parsed = load("revai_call.json")
    assert parsed.format == "revai-json"
    assert timed(parsed) == [("Speaker 0", "Our reps hate logging calls.", 0.4, 2.0),
                             ("Speaker 1", "Why, exactly? Too many clicks?", 2.5, 4.3)]
    assert [(s.label, s.name) for s in parsed.speakers] == [("Speaker 0", "Ana Ruiz"), ("Speaker 1", None)]


def test_podcasting20_word_segments_merge_per_speaker_and_names_are_names():
    parsed = load("podcasting20.json")
    assert parsed.format == "podcasting20-json"
    assert timed(parsed) == [("Dana Whitfield", "What breaks first?", 0.5, 1.6),
                             ("Luis Romero", "Onboarding, every time.", 2.1, 3.4)]
    assert [s.name for s in parsed.speakers] == ["Dana Whitfield", "Luis Romero"]


# -- Gong ----------------------------------------------------------------------------------------------------------

def test_gong_transcript_merges_monologues_and_converts_milliseconds():
    parsed = load("gong_call.json")
    assert parsed.format == "gong-json"
    assert timed(parsed) == [
        ("5518423391873390112", "Thanks for joining, everyone. I'd like to cover pricing and the rollout plan.",
         1.2, 6.1),
        ("2740013957718826410", "Honestly, the price is forty percent above our budget. And our last rollout took "
                                "six months, so people are wary.", 6.8, 13.9),
        ("5518423391873390112", "That's helpful to know.", 14.5, 16.0),
    ]


def test_gong_parties_give_names_titles_and_sides_internal_rep_external_buyer():
    speakers = {s.label: s for s in load("gong_call.json").speakers}
    maya, rachel = speakers["5518423391873390112"], speakers["2740013957718826410"]
    assert (maya.name, maya.title, maya.role) == ("Maya Chen", "Account Executive", "rep")
    assert (rachel.name, rachel.title, rachel.role) == ("Rachel Ortiz", "VP Operations", "buyer")
    assert "Sam Lee" not in {s.name for s in speakers.values()}      # invited, never spoke


def test_gong_call_details_give_title_date_and_topics():
    meta = load("gong_call.json").meta
    assert meta["title"] == "Acme | Brightwave pricing review"
    assert meta["date"] == "2026-02-11"
    assert meta["topics"] == ["Call Setup", "Objections"]
    assert meta["call_id"] == "7782342274025937895"


def test_gong_file_with_several_calls_reads_the_first_and_says_how_many():
    parsed = load("gong_two_calls.json")
    assert turns(parsed) == [("42", "Can you do a multi-year discount?")]
    assert parsed.meta["calls"] == 2
    lena = parsed.speakers[0]
    assert (lena.name, lena.title, lena.role) == ("Lena Park", "Procurement Lead", "buyer")


def test_gong_speakers_without_parties_keep_their_ids_and_no_role():
    parsed = parse_obj({"callTranscripts": [{"callId": "9", "transcript": [
        {"speakerId": "77", "sentences": [{"start": 0, "end": 900, "text": "Hello."}]}]}]})
    assert [(s.label, s.name, s.role) for s in parsed.speakers] == [("77", None, None)]


def test_gong_with_no_calls_is_an_unknown_shape_error():
    assert error_of('{"callTranscripts": []}').code == "E202"


# -- errors and malformed shapes -------------------------------------------------------------------------------

def test_truncated_json_names_line_and_column():
    err = error_of((FIXTURES / "truncated.json").read_text())
    assert (err.code, err.line) == ("E201", 4)
    assert "line 4, column 1" in err.message


def test_json_of_an_unknown_shape_lists_the_keys_it_found():
    err = error_of((FIXTURES / "unknown_shape.json").read_text())
    assert err.code == "E202"
    assert "meeting, attendees, notes" in err.message


@pytest.mark.parametrize("text", ['["a", "b"]', "[[1, 2]]", '{"segments": "oops"}', '{"segments": 3}', "[]",
                                  '{"monologues": {"speaker": 0}}', '{"results": {"utterances": "x"}}',
                                  '{"callTranscripts": [{"transcript": [{"sentences": 5}]}]}'])
def test_wrong_shapes_are_unknown_shape_errors(text):
    assert error_of(text).code == "E202"


def test_a_known_shape_with_no_text_is_a_no_text_error():
    assert error_of('{"segments": [{"start": 0, "end": 1, "text": "  "}]}').code == "E206"


def test_numeric_strings_are_times_and_booleans_or_junk_are_not():
    parsed = parse_obj({"segments": [{"start": "1.5", "end": True, "text": "Hi."},
                                     {"start": [], "end": "soon", "text": "Hello."}]})
    assert [(u.start, u.end) for u in parsed.utterances] == [(1.5, None), (None, None)]


_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["text", "start", "end", "speaker", "segments", "utterances", "words", "results",
                         "channels", "alternatives", "paragraphs", "sentences", "transcript", "monologues",
                         "elements", "type", "value", "ts", "end_ts", "callTranscripts", "parties", "speakerId",
                         "calls", "metaData", "body", "startTime", "version", "audio_url"]),
        inner, max_size=5),
    max_leaves=25)


@settings(max_examples=400, deadline=None)
@given(_ANY_JSON)
def test_any_json_value_parses_or_raises_a_coded_error_never_a_crash(value):
    try:
        parsed = jsonfmt.parse(json.dumps(value))
    except InsightsError as err:
        assert err.code in {"E202", "E206"}
    else:
        assert parsed.utterances and all(u.text for u in parsed.utterances)


# -- through the registry --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, fmt", [
    ("whisper_demo.json", "whisper-json"), ("whisperx_demo.json", "whisperx-json"),
    ("assemblyai_call.json", "assemblyai-json"), ("deepgram_call.json", "deepgram-json"),
    ("revai_call.json", "revai-json"), ("podcasting20.json", "podcasting20-json"), ("gong_call.json", "gong-json"),
])
def test_the_registry_detects_each_json_shape(name, fmt):
    assert parse_bytes((FIXTURES / name).read_bytes(), name).format == fmt


def test_a_json_error_from_the_registry_names_the_file_and_line():
    with pytest.raises(InsightsError) as err:
        parse_bytes((FIXTURES / "truncated.json").read_bytes(), "exports/call.json")
    assert (err.value.code, err.value.where()) == ("E201", "exports/call.json:4")
