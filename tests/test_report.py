"""The report view model: personal data is redacted in every quote by default, and quotes keep their sources."""
from insights.config import PipelineConfig
from insights.records import Insight, Persona, Speaker, Transcript, Utterance
from insights.report import ReportBuilder, key_phrase
from insights.run import Analysis, SpeakerInfo, redactor

TEXT = "Honestly the price is too high, email me at dana.ruiz@northwind.com or call +1 415 555 0134 before Friday."


def analysis():
    t = Transcript(id="t1", source="calls/a.txt", kind="sales_call", title="Northwind pricing", date="2026-11-17",
                   speakers=(Speaker("Maya", role="rep"), Speaker("Dana", role="buyer", title="CFO")),
                   utterances=(Utterance(0, "Maya", "So where do we stand?", 0.0, 2.0),
                               Utterance(1, "Dana", TEXT, 2.0, 9.0)),
                   format="speaker-turns", metadata={"outcome": "open"})
    ins = Insight(kind="objection", quote=TEXT, transcript_id="t1", source="calls/a.txt", utterance=1,
                  span=(0, len(TEXT)), speaker="Dana", speaker_name="Dana", role="buyer", start=2.0, confidence=0.9,
                  reason="test")
    catalogue = [Persona("cfo_finance", "CFO / Finance", "Finance leaders.", (r"\bCFO\b",), ("price",))]
    speakers = [SpeakerInfo("t1", "Maya", "Maya", "rep", 1.0, "metadata"),
                SpeakerInfo("t1", "Dana", "Dana", "buyer", 1.0, "metadata", "cfo_finance", 0.95, "metadata_title",
                            "job title 'CFO' in the call's metadata", "CFO")]
    return Analysis([t], [ins], speakers, {ins.id: "cfo_finance"}, catalogue)


def test_contacts_are_redacted_in_quotes_and_transcript_pages_by_default():
    a = analysis()
    report = ReportBuilder(a, [], "2026-W47", redact=redactor(PipelineConfig(), None)).build()
    brief = report["personas"][0]
    quote = brief["unthemed"][0]["quote"]
    assert "[email]" in quote and "[phone]" in quote and "northwind.com" not in quote
    page = "".join(seg["text"] for u in report["transcripts"][0]["utterances"] for seg in u["segments"])
    assert "dana.ruiz" not in page and "555" not in page


def test_redaction_can_be_turned_off():
    config = PipelineConfig(redact_contacts=False)
    report = ReportBuilder(analysis(), [], "2026-W47", redact=redactor(config, None)).build()
    assert report["personas"][0]["unthemed"][0]["quote"] == TEXT


def test_a_quote_links_to_its_transcript_and_time():
    report = ReportBuilder(analysis(), [], "2026-W47").build()
    q = report["personas"][0]["unthemed"][0]
    assert q["link"].startswith("transcripts/t1.html#i-") and q["start_label"] == "0:02"
    assert report["headline"]["calls"] == 1 and report["headline"]["insights"]["objection"] == 1


def test_a_key_phrase_is_a_verbatim_piece_of_its_quote():
    quote = "We spend every Monday morning, sometimes into the afternoon, stitching exports together. It hurts."
    phrase = key_phrase(quote, ["export", "monday morning"])
    assert phrase in quote and "stitching" in phrase or "Monday" in phrase
