"""The corpus: one SQLite file. Idempotent by content hash, one transaction per transcript.

Only this module speaks SQL. WAL mode and a busy timeout let a reader work while a run writes.
"""
from __future__ import annotations

import json
import os
from collections.abc import MutableMapping
import sqlite3
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from insights.errors import InsightsError
import numpy as np

from insights.records import Insight, Speaker, Transcript, Utterance

DEFAULT_DB = "insights.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS transcripts (
    id            TEXT PRIMARY KEY,          -- hash of the file's bytes (+ sidecar)
    source        TEXT NOT NULL,             -- path as given when ingested
    source_key    TEXT NOT NULL,             -- resolved path: versions of one file share it
    version       INTEGER NOT NULL,
    superseded_by TEXT,                      -- id of the newer version of the same file, if any
    kind          TEXT NOT NULL,
    title         TEXT NOT NULL,
    date          TEXT NOT NULL,
    format        TEXT NOT NULL,
    speakers      TEXT NOT NULL,             -- JSON list of Speaker
    metadata      TEXT NOT NULL,             -- JSON object
    words         INTEGER NOT NULL,
    duration      REAL,
    ingested_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS transcripts_source ON transcripts(source_key);
CREATE INDEX IF NOT EXISTS transcripts_date ON transcripts(date);
CREATE TABLE IF NOT EXISTS utterances (
    transcript_id TEXT NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    idx           INTEGER NOT NULL,
    speaker       TEXT,
    text          TEXT NOT NULL,
    start         REAL,
    "end"         REAL,
    PRIMARY KEY (transcript_id, idx)
);
CREATE TABLE IF NOT EXISTS failures (
    source     TEXT NOT NULL,
    code       TEXT NOT NULL,
    message    TEXT NOT NULL,
    line       INTEGER,
    failed_at  TEXT NOT NULL,
    PRIMARY KEY (source, code, message)
);
CREATE TABLE IF NOT EXISTS embeddings (
    key     TEXT PRIMARY KEY,                -- model + text hash (insights.nlp.text_key)
    vector  BLOB NOT NULL                    -- float32
);
CREATE TABLE IF NOT EXISTS phrases (        -- candidate keyphrases of insight quotes, from the extraction's parse
    key     TEXT PRIMARY KEY,                -- sha1 of the quote
    phrases TEXT NOT NULL                    -- JSON list
);
CREATE TABLE IF NOT EXISTS extractions (     -- which transcripts the current model has already read
    transcript_id TEXT NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    model         TEXT NOT NULL,
    extracted_at  TEXT NOT NULL,
    PRIMARY KEY (transcript_id, model)
);
CREATE TABLE IF NOT EXISTS insights (
    id               TEXT NOT NULL,
    model            TEXT NOT NULL,
    transcript_id    TEXT NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    quote            TEXT NOT NULL,
    utterance        INTEGER NOT NULL,
    span_start       INTEGER NOT NULL,
    span_end         INTEGER NOT NULL,
    speaker          TEXT,
    speaker_name     TEXT,
    role             TEXT,
    start            REAL,
    confidence       REAL NOT NULL,
    reason           TEXT NOT NULL,
    response         TEXT,
    response_speaker TEXT,
    PRIMARY KEY (id, model)
);
CREATE TABLE IF NOT EXISTS analyses (      -- roles and personas per transcript, cached by what decided them
    transcript_id TEXT NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    key           TEXT NOT NULL,
    payload       TEXT NOT NULL,
    PRIMARY KEY (transcript_id, key)
);
CREATE TABLE IF NOT EXISTS themes (         -- each run's themes, so the next run keeps their ids and names
    week      TEXT NOT NULL,
    id        TEXT NOT NULL,
    payload   TEXT NOT NULL,
    PRIMARY KEY (week, id)
);
CREATE TABLE IF NOT EXISTS submissions (    -- standout calls submitted by reps
    transcript_id TEXT PRIMARY KEY REFERENCES transcripts(id) ON DELETE CASCADE,
    rep           TEXT NOT NULL,
    why           TEXT NOT NULL,
    account       TEXT,
    outcome       TEXT,
    buyer_title   TEXT,
    submitted_at  TEXT NOT NULL,
    channel       TEXT NOT NULL                 -- cli | web | inbox
);
CREATE TABLE IF NOT EXISTS processed_files (  -- inbox files already taken, by content hash
    path          TEXT NOT NULL,
    content_id    TEXT NOT NULL,
    status        TEXT NOT NULL,
    processed_at  TEXT NOT NULL,
    PRIMARY KEY (path, content_id)
);
CREATE TABLE IF NOT EXISTS store_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def default_db_path() -> str:
    """``--db`` beats ``INSIGHTS_DB``, which beats ``./insights.sqlite``."""
    return os.environ.get("INSIGHTS_DB") or DEFAULT_DB


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """A handle on the corpus file. Use as a context manager or call ``close()``."""

    def __init__(self, path: str | Path | None = None, *, timeout: float = 30.0):
        self.path = str(path or default_db_path())
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.executescript(_SCHEMA)
            self.conn.execute("INSERT OR IGNORE INTO store_info VALUES ('schema_version', ?)",
                              (str(SCHEMA_VERSION),))
        except sqlite3.DatabaseError as exc:
            raise InsightsError.make("E401", f"{self.path}: {exc}", file=self.path)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def exclusive(self, what: str, timeout: float = 300.0, poll: float = 0.5) -> Iterator[None]:
        """One writer job at a time per corpus (a run, a submission): a lock file beside the database. A second job
        waits up to ``timeout`` seconds, then refuses with E403 naming who holds it. SQLite's own locking keeps each
        transaction safe; this keeps two whole runs from interleaving."""
        import fcntl
        import time

        if self.path == ":memory:":
            yield
            return
        lock_path = Path(self.path).with_name(Path(self.path).name + ".lock")
        fh = open(lock_path, "a+")
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        fh.seek(0)
                        holder = fh.read().strip() or "another process"
                        raise InsightsError.make("E403", f"{holder} is using {self.path}; gave up after "
                                                 f"{timeout:.0f} s", file=self.path)
                    time.sleep(poll)
            fh.seek(0)
            fh.truncate()
            fh.write(f"{what} (pid {os.getpid()})")
            fh.flush()
            yield
        finally:
            fh.close()   # closing releases the lock, also when the process is killed

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All-or-nothing: BEGIN IMMEDIATE takes the write lock up front, so two writers queue, not deadlock."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise InsightsError.make("E403", str(exc), file=self.path)
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    # --- transcripts -------------------------------------------------------------------------------------------

    def add_transcript(self, t: Transcript, source_key: str | None = None) -> str:
        """Store a transcript unless its content is already there. Returns added | unchanged | new_version."""
        key = source_key or t.source
        with self.transaction() as c:
            if c.execute("SELECT 1 FROM transcripts WHERE id = ?", (t.id,)).fetchone():
                return "unchanged"
            prev = c.execute("SELECT id, version FROM transcripts WHERE source_key = ? AND superseded_by IS NULL "
                             "ORDER BY version DESC LIMIT 1", (key,)).fetchone()
            version = prev["version"] + 1 if prev else 1
            c.execute(
                "INSERT INTO transcripts (id, source, source_key, version, kind, title, date, format, speakers,"
                " metadata, words, duration, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (t.id, t.source, key, version, t.kind, t.title, t.date, t.format,
                 json.dumps([asdict(s) for s in t.speakers], ensure_ascii=False),
                 json.dumps(t.metadata, ensure_ascii=False, sort_keys=True, default=str),
                 t.words, t.duration, _now()))
            c.executemany('INSERT INTO utterances (transcript_id, idx, speaker, text, start, "end")'
                          " VALUES (?,?,?,?,?,?)",
                          [(t.id, u.index, u.speaker, u.text, u.start, u.end) for u in t.utterances])
            if prev:
                c.execute("UPDATE transcripts SET superseded_by = ? WHERE id = ?", (t.id, prev["id"]))
            c.execute("DELETE FROM failures WHERE source = ?", (t.source,))
            return "new_version" if prev else "added"

    def has_transcript(self, transcript_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM transcripts WHERE id = ?", (transcript_id,)).fetchone() is not None

    def record_failure(self, source: str, err: InsightsError) -> None:
        """Remember why a file failed, so the report can list it; a later success clears it."""
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO failures VALUES (?,?,?,?,?)",
                      (source, err.code, err.message, err.line, _now()))

    def failures(self) -> list[dict]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM failures ORDER BY source, code")]

    def transcript_rows(self, *, include_superseded: bool = False) -> list[sqlite3.Row]:
        where = "" if include_superseded else "WHERE superseded_by IS NULL"
        return list(self.conn.execute(f"SELECT * FROM transcripts {where} ORDER BY date, source, id"))

    def transcripts(self, *, include_superseded: bool = False) -> list[Transcript]:
        return [self._load(r) for r in self.transcript_rows(include_superseded=include_superseded)]

    def get(self, ref: str) -> Transcript:
        """A transcript by id, unique id prefix, or source path (the current version)."""
        rows = list(self.conn.execute(
            "SELECT * FROM transcripts WHERE id = ? OR source = ? OR source_key = ? ORDER BY version DESC",
            (ref, ref, str(Path(ref).resolve()) if ref else ref)))
        if not rows and len(ref) >= 4:
            rows = list(self.conn.execute("SELECT * FROM transcripts WHERE id LIKE ? ORDER BY version DESC",
                                          (ref.replace("%", "").replace("_", "") + "%",)))
            if len({r["source_key"] for r in rows}) > 1:
                raise InsightsError.make("E402", f"{ref!r} (the prefix matches {len(rows)} transcripts; give more "
                                         "characters)")
        if not rows:
            raise InsightsError.make("E402", repr(ref))
        return self._load(rows[0])

    def count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM transcripts WHERE superseded_by IS NULL").fetchone()[0]

    def _load(self, row: sqlite3.Row) -> Transcript:
        utterances = tuple(
            Utterance(index=u["idx"], speaker=u["speaker"], text=u["text"], start=u["start"], end=u["end"])
            for u in self.conn.execute('SELECT idx, speaker, text, start, "end" FROM utterances'
                                       " WHERE transcript_id = ? ORDER BY idx", (row["id"],)))
        return Transcript(id=row["id"], source=row["source"], kind=row["kind"], title=row["title"],
                          date=row["date"], format=row["format"],
                          speakers=tuple(Speaker(**s) for s in json.loads(row["speakers"])),
                          utterances=utterances, metadata=json.loads(row["metadata"]))

    # --- insights ----------------------------------------------------------------------------------------------

    def extracted_ids(self, model: str) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT transcript_id FROM extractions WHERE model = ?", (model,))}

    def save_insights(self, transcript_id: str, model: str, insights: list[Insight]) -> None:
        """Replace one transcript's insights for one model, atomically: re-running never duplicates."""
        with self.transaction() as c:
            c.execute("DELETE FROM insights WHERE transcript_id = ? AND model = ?", (transcript_id, model))
            c.executemany(
                "INSERT INTO insights VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(i.id, model, i.transcript_id, i.kind, i.quote, i.utterance, i.span[0], i.span[1], i.speaker,
                  i.speaker_name, i.role, i.start, i.confidence, i.reason, i.response, i.response_speaker)
                 for i in insights])
            c.execute("INSERT OR REPLACE INTO extractions VALUES (?,?,?)", (transcript_id, model, _now()))

    def insights(self, model: str, transcript_ids: set[str] | None = None) -> list[Insight]:
        rows = self.conn.execute(
            "SELECT i.*, t.source FROM insights i JOIN transcripts t ON t.id = i.transcript_id"
            " WHERE i.model = ? ORDER BY t.date, t.source, i.utterance, i.span_start, i.kind", (model,))
        out = []
        for r in rows:
            if transcript_ids is not None and r["transcript_id"] not in transcript_ids:
                continue
            out.append(Insight(kind=r["kind"], quote=r["quote"], transcript_id=r["transcript_id"],
                               source=r["source"], utterance=r["utterance"], span=(r["span_start"], r["span_end"]),
                               speaker=r["speaker"], speaker_name=r["speaker_name"], role=r["role"],
                               start=r["start"], confidence=r["confidence"], reason=r["reason"],
                               response=r["response"], response_speaker=r["response_speaker"]))
        return out

    # --- analyses and themes ------------------------------------------------------------------------------------

    def get_analysis(self, transcript_id: str, key: str) -> dict | None:
        row = self.conn.execute("SELECT payload FROM analyses WHERE transcript_id = ? AND key = ?",
                                (transcript_id, key)).fetchone()
        return json.loads(row[0]) if row else None

    def save_analysis(self, transcript_id: str, key: str, payload: dict) -> None:
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO analyses VALUES (?,?,?)",
                      (transcript_id, key, json.dumps(payload, sort_keys=True)))

    def save_themes(self, week: str, themes: list[dict]) -> None:
        """Replace the themes of one week, atomically."""
        with self.transaction() as c:
            c.execute("DELETE FROM themes WHERE week = ?", (week,))
            c.executemany("INSERT INTO themes VALUES (?,?,?)",
                          [(week, t["id"], json.dumps(t, sort_keys=True)) for t in themes])

    def previous_themes(self, week: str) -> list[dict]:
        """The themes of the latest run for this week or, failing that, the latest earlier week."""
        row = self.conn.execute("SELECT MAX(week) FROM themes WHERE week <= ?", (week,)).fetchone()
        if not row or row[0] is None:
            return []
        return [json.loads(r[0]) for r in self.conn.execute("SELECT payload FROM themes WHERE week = ? ORDER BY id",
                                                            (row[0],))]

    # --- submissions --------------------------------------------------------------------------------------------

    def submission(self, transcript_id: str) -> dict | None:
        row = self.conn.execute("SELECT * FROM submissions WHERE transcript_id = ?", (transcript_id,)).fetchone()
        return dict(row) if row else None

    def submissions(self) -> list[dict]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM submissions ORDER BY submitted_at, transcript_id")]

    def submit(self, t: Transcript, *, rep: str, why: str, account: str | None, outcome: str | None,
               buyer_title: str | None, channel: str, source_key: str | None = None, when: str | None = None
               ) -> str:
        """Store a submitted call and its submission in one transaction. Returns added | existing (the content was
        ingested before, and is now flagged as a standout). Raises E404 when it was already submitted."""
        earlier = self.submission(t.id)
        if earlier:
            raise InsightsError.make(
                "E404", f"this call was already submitted by {earlier['rep']} on {earlier['submitted_at'][:10]} "
                f"(transcript {t.id[:10]})", file=t.source)
        status = self.add_transcript(t, source_key=source_key)
        with self.transaction() as c:
            c.execute("INSERT INTO submissions VALUES (?,?,?,?,?,?,?,?)",
                      (t.id, rep, why, account, outcome, buyer_title, when or _now(), channel))
        return "existing" if status == "unchanged" else "added"

    def processed(self, path: str, content_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM processed_files WHERE path = ? AND content_id = ?",
                                 (path, content_id)).fetchone() is not None

    def mark_processed(self, path: str, content_id: str, status: str) -> None:
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO processed_files VALUES (?,?,?,?)", (path, content_id, status, _now()))

    def save_phrases(self, phrases: dict[str, list[str]]) -> None:
        """Keyphrase candidates per quote, so the theme stage need not parse quotes the extraction parsed."""
        with self.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO phrases VALUES (?, ?)",
                          [(_quote_key(q), json.dumps(p)) for q, p in sorted(phrases.items())])

    def phrases(self, quotes: list[str]) -> dict[str, list[str]]:
        out = {}
        for q in dict.fromkeys(quotes):
            row = self.conn.execute("SELECT phrases FROM phrases WHERE key = ?", (_quote_key(q),)).fetchone()
            if row is not None:
                out[q] = json.loads(row[0])
        return out

    def embedding_cache(self) -> "EmbeddingCache":
        return EmbeddingCache(self)


def _quote_key(quote: str) -> str:
    import hashlib

    return hashlib.sha1(quote.encode()).hexdigest()


class EmbeddingCache(MutableMapping):
    """Embeddings by text hash, persisted in the store: a re-run embeds only sentences it has never seen."""

    def __init__(self, store: Store):
        self.store = store
        self.pending: dict[str, np.ndarray] = {}

    def __getitem__(self, key: str) -> np.ndarray:
        if key in self.pending:
            return self.pending[key]
        row = self.store.conn.execute("SELECT vector FROM embeddings WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return np.frombuffer(row[0], dtype=np.float32)

    def __contains__(self, key: object) -> bool:
        if key in self.pending:
            return True
        return self.store.conn.execute("SELECT 1 FROM embeddings WHERE key = ?", (key,)).fetchone() is not None

    def __setitem__(self, key: str, value: np.ndarray) -> None:
        self.pending[key] = np.asarray(value, dtype=np.float32)
        if len(self.pending) >= 512:
            self.flush()

    def __delitem__(self, key: str) -> None:
        self.pending.pop(key, None)
        self.store.conn.execute("DELETE FROM embeddings WHERE key = ?", (key,))

    def __iter__(self):
        yield from self.pending
        for (k,) in self.store.conn.execute("SELECT key FROM embeddings"):
            if k not in self.pending:
                yield k

    def __len__(self) -> int:
        self.flush()
        return self.store.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]

    def flush(self) -> None:
        if not self.pending:
            return
        with self.store.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?)",
                          [(k, v.tobytes()) for k, v in self.pending.items()])
        self.pending.clear()


class ReadOnlyEmbeddingCache(MutableMapping):
    """A worker's view of the embedding cache: reads the store (WAL lets readers run beside the writer), keeps
    what it computes in memory, and hands it over with ``take_new`` for the parent to store."""

    def __init__(self, path: str | None):
        self.conn = None
        if path and path != ":memory:" and Path(path).exists():
            self.conn = sqlite3.connect(f"file:{Path(path).resolve().as_posix()}?mode=ro", uri=True, timeout=30.0)
        self.new: dict[str, np.ndarray] = {}

    def __getitem__(self, key: str) -> np.ndarray:
        if key in self.new:
            return self.new[key]
        row = self._row(key)
        if row is None:
            raise KeyError(key)
        return np.frombuffer(row[0], dtype=np.float32)

    def __contains__(self, key: object) -> bool:
        return key in self.new or self._row(key) is not None

    def _row(self, key: object):
        if self.conn is None:
            return None
        return self.conn.execute("SELECT vector FROM embeddings WHERE key = ?", (key,)).fetchone()

    def __setitem__(self, key: str, value: np.ndarray) -> None:
        self.new[key] = np.asarray(value, dtype=np.float32)

    def __delitem__(self, key: str) -> None:
        del self.new[key]

    def __iter__(self):
        return iter(self.new)

    def __len__(self) -> int:
        return len(self.new)

    def take_new(self) -> dict[str, np.ndarray]:
        out, self.new = self.new, {}
        return out
