"""The corpus store: idempotent by content, versions of a changed file, all-or-nothing writes."""
import sqlite3

import pytest

from insights.errors import InsightsError
from insights.records import Speaker, Transcript, Utterance
from insights.store import Store


def make_transcript(tid="abc123", source="calls/a.txt", text="We keep losing deals to cheaper tools."):
    return Transcript(
        id=tid, source=source, kind="sales_call", title="A call", date="2026-11-16",
        speakers=(Speaker("Maya", name="Maya Chen", role="rep"), Speaker("Rachel", role="buyer")),
        utterances=(Utterance(0, "Maya", "How is reporting going?", 0.0, 2.5),
                    Utterance(1, "Rachel", text, 2.5, 6.0)),
        format="speaker-turns", metadata={"account": "Brightwave"})


def test_a_stored_transcript_reads_back_equal(tmp_path):
    with Store(tmp_path / "c.sqlite") as store:
        t = make_transcript()
        assert store.add_transcript(t) == "added"
        back = store.get("abc123")
    assert back == t
    assert back.metadata == {"account": "Brightwave"}
    assert back.speakers[0].name == "Maya Chen"


def test_the_same_content_twice_is_one_transcript(tmp_path):
    with Store(tmp_path / "c.sqlite") as store:
        assert store.add_transcript(make_transcript()) == "added"
        assert store.add_transcript(make_transcript()) == "unchanged"
        assert store.count() == 1


def test_a_changed_file_becomes_a_new_version_and_supersedes_the_old(tmp_path):
    with Store(tmp_path / "c.sqlite") as store:
        store.add_transcript(make_transcript("v1"))
        assert store.add_transcript(make_transcript("v2", text="Pricing is the blocker now.")) == "new_version"
        current = store.transcripts()
        everything = store.transcripts(include_superseded=True)
    assert [t.id for t in current] == ["v2"]
    assert {t.id for t in everything} == {"v1", "v2"}


def test_a_failure_mid_write_leaves_no_half_written_transcript(tmp_path):
    store = Store(tmp_path / "c.sqlite")
    broken = make_transcript()
    # Two utterances with one index violate the primary key after the transcript row is written.
    broken = Transcript(**{**broken.__dict__, "utterances": (broken.utterances[0], broken.utterances[0])})
    with pytest.raises(sqlite3.IntegrityError):
        store.add_transcript(broken)
    assert store.count() == 0
    assert store.conn.execute("SELECT COUNT(*) FROM utterances").fetchone()[0] == 0
    store.close()


def test_an_id_prefix_or_the_source_path_finds_a_transcript(tmp_path):
    with Store(tmp_path / "c.sqlite") as store:
        store.add_transcript(make_transcript("deadbeef0001"))
        assert store.get("deadbe").id == "deadbeef0001"
        assert store.get("calls/a.txt").id == "deadbeef0001"


def test_an_unknown_transcript_is_a_coded_error(tmp_path):
    with Store(tmp_path / "c.sqlite") as store:
        with pytest.raises(InsightsError) as info:
            store.get("nope")
    assert info.value.code == "E402"
    assert "insights list" in str(info.value)


def test_a_file_that_is_not_a_database_is_a_coded_error(tmp_path):
    bad = tmp_path / "notes.sqlite"
    bad.write_text("this is not sqlite " * 100)
    with pytest.raises(InsightsError) as info:
        Store(bad)
    assert info.value.code == "E401"


def test_the_environment_variable_chooses_the_default_store(tmp_path, monkeypatch):
    monkeypatch.setenv("INSIGHTS_DB", str(tmp_path / "env.sqlite"))
    with Store() as store:
        store.add_transcript(make_transcript())
    assert (tmp_path / "env.sqlite").exists()


def test_embeddings_persist_across_store_handles(tmp_path):
    import numpy as np

    with Store(tmp_path / "c.sqlite") as store:
        cache = store.embedding_cache()
        cache["k1"] = np.arange(4, dtype=np.float32)
        cache.flush()
    with Store(tmp_path / "c.sqlite") as store:
        cache = store.embedding_cache()
        assert "k1" in cache and "k2" not in cache
        assert cache["k1"].tolist() == [0.0, 1.0, 2.0, 3.0]
        assert len(cache) == 1


def test_saving_a_transcripts_insights_twice_replaces_them(tmp_path):
    from insights.records import Insight

    t = make_transcript()
    ins = Insight(kind="pain_point", quote="We keep losing deals to cheaper tools.", transcript_id=t.id,
                  source=t.source, utterance=1, span=(0, 38), speaker="Rachel", speaker_name="Rachel",
                  role="buyer", start=2.5, confidence=0.9, reason="test")
    with Store(tmp_path / "c.sqlite") as store:
        store.add_transcript(t)
        store.save_insights(t.id, "m1", [ins])
        store.save_insights(t.id, "m1", [ins])
        assert store.insights("m1") == [ins]
        assert store.extracted_ids("m1") == {t.id}
        assert store.insights("m2") == []


def test_keyphrase_candidates_are_kept_per_quote_and_replaced_not_duplicated(tmp_path):
    with Store(tmp_path / "c.sqlite") as store:
        store.save_phrases({"Our CRM data is a mess.": ["crm datum", "mess"]})
        store.save_phrases({"Our CRM data is a mess.": ["crm data"], "Too pricey.": []})
        assert store.phrases(["Too pricey.", "Our CRM data is a mess.", "never seen"]) == {
            "Too pricey.": [], "Our CRM data is a mess.": ["crm data"]}
        assert store.conn.execute("SELECT COUNT(*) FROM phrases").fetchone()[0] == 2
