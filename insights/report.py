"""The weekly report and persona briefs as one plain view model (see ``render`` for the files).

Pure: everything comes from the analysis, the themes and the submissions; every sentence a brief shows is a
verbatim quote or a count, and the suggested messaging lines quote the buyers' words they are built from.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Sequence

from insights.records import INSIGHT_KINDS, UNASSIGNED, Insight, Transcript, clock
from insights.run import Analysis, iso_week

KIND_LABELS = {"pain_point": "Pain points", "objection": "Objections", "analogy": "Analogies"}
WORDS_PER_MINUTE = 150      # to estimate the length of transcripts that carry no timestamps


def period_label(start: str, end: str) -> str:
    return f"{start}_to_{end}"


def week_bounds(week: str) -> tuple[str, str]:
    """First and last day of an ISO week like 2026-W47 (or of a period label from ``period_label``)."""
    if "_to_" in week:
        start, end = week.split("_to_")
        return start, end
    from insights.errors import InsightsError

    try:
        year, w = week.split("-W")
        start = date.fromisocalendar(int(year), int(w), 1)
    except ValueError:
        raise InsightsError.make("E501", f"week {week!r} is not an ISO week like 2026-W47")
    return start.isoformat(), (start + timedelta(days=6)).isoformat()


def latest_week(transcripts: Sequence[Transcript]) -> str:
    return max(iso_week(t.date) for t in transcripts)


fmt_time = clock


@dataclass
class Submission:
    transcript_id: str
    rep: str
    why: str
    outcome: str | None
    submitted: str


class ReportBuilder:
    """Builds the view model for one ISO week from an analysis and its themes."""

    def __init__(self, analysis: Analysis, themes: Sequence, week: str, *, top_themes: int = 5,
                 submissions: Sequence[Submission] = (), cross_persona: Sequence = (), generated: str = "",
                 start: str | None = None, end: str | None = None, redact=None):
        self.a = analysis
        self.themes = list(themes)
        self.week = week
        self.top = top_themes
        self.submissions = list(submissions)
        self.cross = list(cross_persona)
        self.start, self.end = (start, end) if start and end else week_bounds(week)
        self.redact = redact or (lambda text: text)   # personal data out of every quote (see insights.redact)
        self.generated = generated or self.end
        self.by_id = {t.id: t for t in analysis.transcripts}
        self.insight_by_id = {i.id: i for i in analysis.insights}
        self.persona_names = {p.key: p.name for p in analysis.catalogue} | {UNASSIGNED: "Unassigned"}
        self.quoted: set[str] = set()            # transcripts the report links to
        self.speaker_info = {(s.transcript_id, s.label): s for s in analysis.speakers}

    # --- small pieces ------------------------------------------------------------------------------------------

    def transcript_ref(self, tid: str) -> dict:
        t = self.by_id[tid]
        self.quoted.add(tid)
        return {"id": t.id, "title": t.title, "date": t.date, "kind": t.kind, "source": t.source,
                "link": f"transcripts/{t.id}.html"}

    def quote(self, i: Insight) -> dict:
        return {"id": i.id, "kind": i.kind, "quote": self.redact(i.quote),
                "speaker": i.speaker_name or "unknown speaker",
                "role": i.role, "persona": self.a.insight_persona.get(i.id, UNASSIGNED),
                "transcript": self.transcript_ref(i.transcript_id), "date": self.by_id[i.transcript_id].date,
                "start": i.start, "start_label": fmt_time(i.start), "confidence": i.confidence,
                "link": f"transcripts/{i.transcript_id}.html#i-{i.id}",
                "response": self.redact(i.response) if i.response else None,
                "response_speaker": self._name(i.transcript_id, i.response_speaker)}

    def _name(self, tid: str, label: str | None) -> str | None:
        if label is None:
            return None
        s = self.by_id[tid].speaker(label)
        return s.display if s else label

    def theme_ref(self, th) -> dict:
        return {"id": th.id, "name": th.name, "kind": th.kind, "persona": th.persona,
                "persona_name": self.persona_names.get(th.persona, th.persona), "trend": th.trend,
                "page": f"persona-{th.persona}.html#{th.id}"}

    def theme(self, th) -> dict:
        members = [self.insight_by_id[i] for i in th.insight_ids if i in self.insight_by_id]
        return {"id": th.id, "name": th.name, "kind": th.kind, "persona": th.persona, "keywords": list(th.keywords),
                "size": th.size, "calls": th.transcripts, "speakers": th.speakers, "first_seen": th.first_seen,
                "last_seen": th.last_seen, "trend": th.trend, "weekly": [list(w) for w in th.weekly],
                "quotes": [self.quote(self.insight_by_id[q]) for q in th.quotes if q in self.insight_by_id],
                "replies": self.replies(members) if th.kind == "objection" else []}

    # --- replies: how reps answered an objection ---------------------------------------------------------------

    _AGREE = re.compile(r"\b(that makes sense|makes sense|fair( enough)?|that helps|i like that|good point|"
                        r"that works|okay,? (that|so)|sounds good|that's reasonable|deal|interesting|"
                        r"i could live with|yes|yeah,? (that|ok))\b", re.I)
    _PUSH = re.compile(r"\b(still|not convinced|i don't (know|buy)|that doesn't|no,|but |doesn't answer|"
                       r"not what i asked|hmm)\b", re.I)

    def replies(self, members: Iterable[Insight]) -> list[dict]:
        """The rep's answer to each objection, best first. Best = the deal was won (+2; open +0.5), then the buyer's
        next words: agreement (+1) or more pushback (-1)."""
        out = []
        for i in members:
            if not i.response:
                continue
            t = self.by_id[i.transcript_id]
            outcome = str(t.metadata.get("outcome") or "")
            score, why = 0.0, []
            if outcome == "won":
                score += 2
                why.append("deal won")
            elif outcome == "open":
                score += 0.5
                why.append("deal still open")
            elif outcome == "lost":
                why.append("deal lost")
            reaction = self._reaction(t, i)
            if reaction is not None:
                text, label = reaction
                if self._PUSH.search(text[:120]):
                    score -= 1
                    why.append(f"buyer pushed back: “{text[:80]}”")
                elif self._AGREE.search(text[:120]):
                    score += 1
                    why.append(f"buyer agreed: “{text[:80]}”")
            r_index = self._response_index(t, i)
            out.append((-score, t.date, i.id, {
                "quote": self.redact(i.response), "speaker": self._name(t.id, i.response_speaker) or "rep",
                "transcript": self.transcript_ref(t.id),
                "start_label": fmt_time(t.utterances[r_index].start) if r_index is not None else "",
                "link": f"transcripts/{t.id}.html#u-{r_index}" if r_index is not None else f"transcripts/{t.id}.html",
                "why_best": self.redact("; ".join(why) or "no outcome recorded"), "objection": self.redact(i.quote)}))
        return [r for *_, r in sorted(out, key=lambda x: x[:3])][:3]

    @staticmethod
    def _response_index(t: Transcript, i: Insight) -> int | None:
        for u in t.utterances[i.utterance + 1:i.utterance + 4]:
            if u.speaker == i.response_speaker:
                return u.index
        return None

    def _reaction(self, t: Transcript, i: Insight) -> tuple[str, str] | None:
        r = self._response_index(t, i)
        if r is None:
            return None
        for u in t.utterances[r + 1:r + 3]:
            if u.speaker == i.speaker:
                return u.text, u.speaker
        return None

    # --- messaging angles ----------------------------------------------------------------------------------------

    def angle(self, th) -> dict | None:
        """A suggested line built around a buyer's own phrase, with the quotes it came from."""
        members = [self.insight_by_id[q] for q in th.quotes if q in self.insight_by_id]
        buyers = [m for m in members if m.role in ("buyer", "guest")] or members
        if not buyers:
            return None
        phrase = self.redact(key_phrase(buyers[0].quote, th.keywords))
        who = self.persona_names.get(th.persona, "buyers")
        if th.kind == "pain_point":
            line = f"“{phrase}” — {th.transcripts} {who} conversations say it in their own words. Lead with it."
        elif th.kind == "objection":
            line = f"Answer it before they ask: “{phrase}” came up in {th.transcripts} {who} conversations."
        else:
            line = f"Borrow the buyer's picture: “{phrase}”."
        return {"theme": self.theme_ref(th), "line": line, "phrase": phrase,
                "quotes": [self.quote(m) for m in buyers[:2]]}

    # --- the whole report ----------------------------------------------------------------------------------------

    def build(self) -> dict:
        start, end = self.start, self.end
        in_week = [t for t in self.a.transcripts if start <= t.date <= end]
        week_ids = {t.id for t in in_week}
        week_insights = [i for i in self.a.insights if i.transcript_id in week_ids]
        themes_by_persona = defaultdict(list)
        for th in self.themes:
            themes_by_persona[th.persona].append(th)
        persona_counts = Counter(self.a.insight_persona.get(i.id, UNASSIGNED) for i in week_insights)
        order = [p.key for p in self.a.catalogue] + [UNASSIGNED]
        personas = [self.persona_block(key, themes_by_persona.get(key, []), week_ids)
                    for key in sorted(order, key=lambda k: (k == UNASSIGNED, -persona_counts[k], order.index(k)))
                    if persona_counts[key] or themes_by_persona.get(key)]
        seconds = 0.0
        estimated = 0
        for t in in_week:
            if t.duration:
                seconds += t.duration
            else:
                seconds += t.words / WORDS_PER_MINUTE * 60
                estimated += 1
        notes = []
        if estimated:
            notes.append(f"{estimated} transcript(s) carry no timestamps: their length is estimated at "
                         f"{WORDS_PER_MINUTE} words a minute.")
        dated = [t for t in in_week if "modification time" in str(t.metadata.get("date_source", ""))]
        if dated:
            notes.append(f"{len(dated)} transcript(s) have no date in the file or its metadata; their file "
                         "modification time was used: " + ", ".join(t.source for t in dated))
        unassigned = [{"name": s.name, "transcript": self.transcript_ref(s.transcript_id),
                       "evidence": s.persona_evidence} for s in self.a.speakers
                      if s.role in ("buyer", "guest") and (s.persona or UNASSIGNED) == UNASSIGNED
                      and s.transcript_id in week_ids]
        trend_refs = {trend: [self.theme_ref(th) for th in sorted(self.themes, key=lambda x: (-x.transcripts, x.id))
                              if th.trend == trend and th.last_seen >= start] for trend in ("new", "rising", "falling")}
        report = {
            "week": self.week, "start": start, "end": end, "generated": self.generated,
            "headline": {"calls": sum(t.kind == "sales_call" for t in in_week),
                         "episodes": sum(t.kind != "sales_call" for t in in_week),
                         "hours": round(seconds / 3600, 1),
                         "speakers": len({(s.transcript_id, s.label) for s in self.a.speakers
                                          if s.transcript_id in week_ids}),
                         "insights": {k: sum(i.kind == k for i in week_insights) for k in INSIGHT_KINDS},
                         "corpus_transcripts": len(self.a.transcripts),
                         "weeks": sorted({iso_week(t.date) for t in self.a.transcripts})},
            "kinds": [{"key": k, "label": KIND_LABELS[k]} for k in INSIGHT_KINDS],
            "personas": personas,
            "new_themes": trend_refs["new"], "rising_themes": trend_refs["rising"],
            "falling_themes": trend_refs["falling"],
            "cross_persona": self.cross,
            "standouts": [self.standout(s) for s in self.submissions
                          if s.transcript_id in self.by_id and start <= s.submitted <= end],
            "quality": {"unassigned_speakers": unassigned,
                        "failures": [{"source": f["source"], "code": f["code"], "message": f["message"],
                                      "line": f["line"]} for f in self.a.failures],
                        "notes": notes},
        }
        report["transcripts"] = [self.transcript(self.by_id[tid]) for tid in sorted(self.quoted)]
        return report

    def persona_block(self, key: str, themes: list, week_ids: set[str]) -> dict:
        persona = next((p for p in self.a.catalogue if p.key == key), None)
        ranked = {k: sorted([th for th in themes if th.kind == k], key=lambda th: (-th.transcripts, -th.size, th.id))
                  for k in INSIGHT_KINDS}
        speakers = [s for s in self.a.speakers if (s.persona or UNASSIGNED) == key and s.role in ("buyer", "guest")]
        insights = [i for i in self.a.insights if self.a.insight_persona.get(i.id, UNASSIGNED) == key]
        themed = {q for th in themes for q in th.insight_ids}
        calls = {i.transcript_id for i in insights} | {s.transcript_id for s in speakers}
        analogies = [i for i in insights if i.kind == "analogy"]
        return {
            "key": key, "name": self.persona_names.get(key, key),
            "description": persona.description if persona else "Buyers whose persona could not be told from the "
                                                                "metadata, an introduction or what they said.",
            "page": f"persona-{key}.html", "calls": len(calls),
            "speakers": [{"name": s.name, "title": s.title, "company": s.company, "method": s.persona_method,
                          "evidence": s.persona_evidence, "transcript": self.transcript_ref(s.transcript_id)}
                         for s in speakers],
            "companies": sorted({c for c in (self._company(s) for s in speakers) if c}),
            "insight_counts": {k: sum(i.kind == k for i in insights) for k in INSIGHT_KINDS},
            "themes": {k: [self.theme(th) for th in ranked[k][:self.top]] for k in INSIGHT_KINDS},
            "changes": {trend: [self.theme_ref(th) for th in themes if th.trend == trend]
                        for trend in ("new", "rising", "falling")},
            "angles": [a for a in (self.angle(th) for k in ("pain_point", "objection") for th in ranked[k][:3]) if a],
            "analogies": {"buyers": [self.quote(i) for i in analogies if i.role in ("buyer", "guest")][:8],
                          "reps": [self.quote(i) for i in analogies if i.role in ("rep", "host")][:8]},
            "unthemed": [self.quote(i) for i in insights if i.id not in themed][:20],
        }

    def _company(self, s) -> str | None:
        return s.company or self.by_id[s.transcript_id].metadata.get("account")

    def standout(self, s: Submission) -> dict:
        found = sorted((i for i in self.a.insights if i.transcript_id == s.transcript_id),
                       key=lambda i: (-i.confidence, i.id))
        buyers = [x for x in self.a.speakers if x.transcript_id == s.transcript_id and x.role in ("buyer", "guest")]
        persona = next((self.persona_names.get(b.persona or UNASSIGNED) for b in buyers if b.persona), "Unassigned")
        return {"rep": s.rep, "why": s.why, "outcome": s.outcome, "submitted": s.submitted, "persona": persona,
                "transcript": self.transcript_ref(s.transcript_id), "insights": [self.quote(i) for i in found[:5]]}

    def transcript(self, t: Transcript) -> dict:
        marks = defaultdict(list)
        for i in self.a.insights:
            if i.transcript_id == t.id:
                marks[i.utterance].append(i)
        roles = {s.label: s.role for s in self.a.speakers if s.transcript_id == t.id}
        personas = {s.label: s.persona for s in self.a.speakers if s.transcript_id == t.id}
        return {"id": t.id, "title": t.title, "date": t.date, "kind": t.kind, "source": t.source, "format": t.format,
                "link": f"transcripts/{t.id}.html", "account": t.metadata.get("account"),
                "outcome": t.metadata.get("outcome"),
                "speakers": [{"label": s.label, "name": s.display, "role": roles.get(s.label) or s.role,
                              "persona": personas.get(s.label)} for s in t.speakers],
                "utterances": [{"index": u.index, "anchor": f"u-{u.index}",
                                "speaker": (t.speaker(u.speaker).display if u.speaker and t.speaker(u.speaker)
                                            else u.speaker),
                                "role": roles.get(u.speaker), "start_label": fmt_time(u.start),
                                "segments": [{**seg, "text": self.redact(seg["text"])}
                                             for seg in segments(u.text, marks.get(u.index, []))]}
                               for u in t.utterances]}


def segments(text: str, insights: list[Insight]) -> list[dict]:
    """Split an utterance into plain and highlighted pieces; overlapping insights share the first one's mark."""
    out, pos = [], 0
    for i in sorted(insights, key=lambda i: (i.span[0], -i.span[1], i.kind)):
        start, end = i.span
        if start < pos:
            continue
        if start > pos:
            out.append({"text": text[pos:start], "insight": None})
        kinds = sorted({j.kind for j in insights if j.span == i.span})
        out.append({"text": text[start:end], "insight": {"id": i.id, "kind": i.kind, "kinds": kinds,
                                                        "anchor": f"i-{i.id}"}})
        pos = end
    if pos < len(text):
        out.append({"text": text[pos:], "insight": None})
    return out


_SENTENCE = re.compile(r"[^.!?]+[.!?]*")


def key_phrase(quote: str, keywords: Sequence[str], max_words: int = 16) -> str:
    """The sentence of a quote that carries most of its theme's keywords, verbatim (a substring of the quote),
    cut at a comma when longer than ``max_words`` words."""
    keys = {k.lower() for kw in keywords for k in kw.split()}
    sentences = [m.group(0).strip() for m in _SENTENCE.finditer(quote) if len(m.group(0).split()) >= 3]
    if not sentences:
        return quote.strip()
    best = max(sentences, key=lambda p: (sum(w.lower().strip(".,?!") in keys for w in p.split()),
                                         -abs(len(p.split()) - 12)))
    if len(best.split()) > max_words:
        cut = [m.start() for m in re.finditer(",", best) if len(best[:m.start()].split()) >= 4]
        short = [c for c in cut if len(best[:c].split()) <= max_words]
        if short:
            best = best[:short[-1]]
    return best.strip()
