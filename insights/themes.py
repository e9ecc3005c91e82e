"""Group insights into themes per buyer persona and kind, name them, and keep them stable from week to week.

Pure: insights, their embeddings, personas and dates in; ``Theme`` records out. No store, no files (the spaCy
tagger used for naming is passed in, or loaded once from the installed package).

Clustering, within each persona x kind group (insights sorted by id first, so input order never matters):
- 10 or more insights: HDBSCAN (leaf selection, min_cluster_size 2, min_samples 1) on cosine distances, or on a
  10-dimensional PCA projection when the group has more than 60 insights. Leaf selection gives the small, specific
  clusters a marketer can act on ("annual upfront payment") rather than one blob per kind. When HDBSCAN finds no
  cluster at all in a group, the group is treated like a small one (below). Otherwise points HDBSCAN calls
  noise join the nearest theme whose centroid is at least ``attach`` cosine-similar; the rest stay unthemed
  (``unthemed_ids`` lists them, ``evaluate_grouping`` counts them).
- fewer than 10: density is meaningless for a handful of points, and a persona heard from only a few times should
  still show what it said, so average-linkage agglomerative clustering at a cosine-distance threshold joins the
  clearly similar ones and every other insight is a theme of size 1.

Naming: c-TF-IDF (each theme is one "class document") over lemmatised 1-3-grams whose part-of-speech tags match
ADJ* NOUN+ or VERB ADJ* NOUN+, so names are phrases people say ("manual spreadsheet", "prove roi"), distinctive for
the theme against all other themes of the run.
"""
from __future__ import annotations

import hashlib
import math
import re
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

import numpy as np

from insights.records import Insight, Theme, iso_week

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

HDBSCAN_MIN_ITEMS = 10       # below this a group is clustered by similarity threshold instead
PCA_ABOVE = 60               # HDBSCAN on a PCA projection above this many insights
PCA_DIMS = 10
SMALL_GROUP_DISTANCE = 0.5   # cosine distance at which small groups' insights join (similarity >= 0.5)
ATTACH = 0.4                 # a noise point joins the nearest theme centroid at least this similar
MATCH = 0.7                  # last week's theme carries its id and name to a new theme this similar
NEAR_DUPLICATE = 0.9         # representative quotes are less similar than this to each other
MAX_QUOTES = 3
MAX_KEYWORDS = 5
TREND_WINDOW = 4             # weeks before the current week that make the baseline


# --- the entry point ---------------------------------------------------------------------------------------------


def build_themes(insights: Sequence[Insight], vectors: np.ndarray, persona_of: Sequence[str], dates: Sequence[str],
                 *, current_week: str, previous: Sequence[Theme] = (), nlp: "Language | None" = None,
                 attach: float = ATTACH, match: float = MATCH,
                 phrases: Mapping[str, Sequence[str]] | None = None) -> list[Theme]:
    """Themes of ``insights`` (``vectors[i]``, ``persona_of[i]``, ``dates[i]`` belong to ``insights[i]``).

    ``vectors``: unit-length sentence embeddings. ``dates``: ISO dates (the transcript's date). ``current_week``:
    ISO week ``YYYY-Www`` the trend is judged for. ``previous``: last run's themes; a new theme whose centroid is
    at least ``match`` cosine-similar to one of them (same persona and kind, best pairs first, one-to-one) keeps its
    id and name. ``phrases``: each quote's candidate keyphrases when already known (the extraction stage keeps
    them from its parse, see ``quote_phrases``); quotes not in it are parsed here. Returns themes sorted by
    persona, kind, size (largest first) and id.
    """
    n = len(insights)
    if not (len(vectors) == len(persona_of) == len(dates) == n):
        raise ValueError(f"insights ({n}), vectors ({len(vectors)}), persona_of ({len(persona_of)}) and dates "
                         f"({len(dates)}) must have the same length")
    _week_start(current_week)  # validates
    if n == 0:
        return []
    vectors = _unit(np.asarray(vectors, dtype=np.float64))
    ids = [i.id for i in insights]
    clusters = cluster_groups(insights, vectors, persona_of, attach=attach)
    nlp = nlp if nlp is not None else _default_nlp()
    keywords = _keyphrases([[insights[i].quote for i in members] for _, members in clusters], nlp, phrases)
    prev = {(p.persona, p.kind): [] for p in previous}
    for p in previous:
        prev[(p.persona, p.kind)].append(p)

    drafts = []
    for ((persona, kind), members), kws in zip(clusters, keywords):
        members = sorted(members, key=lambda i: ids[i])
        centroid = _unit(vectors[members].mean(axis=0))
        fresh_id = "th_" + hashlib.sha1("|".join([persona, kind, *(ids[i] for i in members)]).encode()
                                        ).hexdigest()[:12]
        drafts.append(dict(persona=persona, kind=kind, members=members, centroid=centroid, keywords=kws,
                           id=fresh_id, name=None))
    _carry_over(drafts, prev, match)
    _name(drafts, [insights[i].quote for i in range(n)], vectors, nlp)

    themes = []
    for d in drafts:
        members = d["members"]
        days = sorted(_day(dates[i]) for i in members)
        weekly = Counter(iso_week(x) for x in days)
        themes.append(Theme(
            id=d["id"], name=d["name"], persona=d["persona"], kind=d["kind"], keywords=tuple(d["keywords"]),
            insight_ids=tuple(ids[i] for i in members), size=len(members),
            transcripts=len({insights[i].transcript_id for i in members}),
            speakers=len({_speaker_key(insights[i]) for i in members}),
            first_seen=days[0].isoformat(), last_seen=days[-1].isoformat(),
            weekly=tuple(sorted(weekly.items())), trend=trend(weekly, current_week),
            quotes=tuple(ids[i] for i in representatives(members, vectors, d["centroid"], ids)),
            centroid=tuple(round(float(x), 6) for x in d["centroid"])))
    return sorted(themes, key=lambda t: (t.persona, t.kind, -t.size, t.id))


def unthemed_ids(insights: Sequence[Insight], themes: Sequence[Theme]) -> tuple[str, ...]:
    """Ids of the insights no theme holds (HDBSCAN noise too far from every theme), sorted: nothing is lost."""
    held = {i for t in themes for i in t.insight_ids}
    return tuple(sorted({i.id for i in insights} - held))


# --- clustering --------------------------------------------------------------------------------------------------


def cluster_groups(insights: Sequence[Insight], vectors: np.ndarray, persona_of: Sequence[str], *,
                   attach: float = ATTACH) -> list[tuple[tuple[str, str], list[int]]]:
    """``((persona, kind), member indices)`` for every cluster; noise that stays unthemed is in none."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, ins in enumerate(insights):
        groups[(persona_of[i], ins.kind)].append(i)
    out = []
    for key in sorted(groups):
        idx = sorted(groups[key], key=lambda i: (insights[i].id, i))
        labels = _cluster(vectors[idx], attach)
        by_label: dict[int, list[int]] = defaultdict(list)
        for j, label in enumerate(labels):
            if label >= 0:
                by_label[int(label)].append(idx[j])
        out += [(key, by_label[label]) for label in sorted(by_label)]
    return out


def min_cluster_size(n: int) -> int:
    """Two quotes make a theme in a persona's week (the sample corpus's groups hold under 100); in a group of
    thousands (a big team's quarter) leaf clusters of two would give hundreds of themes nobody reads, so the
    smallest theme grows with the group: one per hundred insights."""
    return max(2, n // 100)


def _cluster(x: np.ndarray, attach: float) -> np.ndarray:
    """Cluster labels for one group's unit vectors; -1 for unthemed noise."""
    n = len(x)
    if n < HDBSCAN_MIN_ITEMS:
        return _agglomerative(x)
    import hdbscan

    if n > PCA_ABOVE:
        from sklearn.decomposition import PCA

        points = PCA(n_components=PCA_DIMS, svd_solver="full", random_state=0).fit_transform(x)
        kwargs: dict = {"metric": "euclidean"}
    else:
        points = np.clip(1.0 - x @ x.T, 0.0, 2.0)
        np.fill_diagonal(points, 0.0)
        kwargs = {"metric": "precomputed"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels = hdbscan.HDBSCAN(min_cluster_size=min_cluster_size(n), min_samples=1,
                                 cluster_selection_method="leaf", **kwargs).fit_predict(points.astype(np.float64))
    labels = np.asarray(labels)
    if (labels == -1).all():
        return _agglomerative(x)     # no density structure at all: group like a small group rather than hide all
    return _attach_noise(x, labels, attach)


def _agglomerative(x: np.ndarray) -> np.ndarray:
    if len(x) == 1:
        return np.zeros(1, dtype=int)
    from sklearn.cluster import AgglomerativeClustering

    d = np.clip(1.0 - x @ x.T, 0.0, 2.0)
    np.fill_diagonal(d, 0.0)
    return AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                   distance_threshold=SMALL_GROUP_DISTANCE).fit_predict(d)


def _attach_noise(x: np.ndarray, labels: np.ndarray, attach: float) -> np.ndarray:
    """Noise joins the most similar cluster centroid (centroids of the clusters as HDBSCAN found them)."""
    found = sorted(set(labels.tolist()) - {-1})
    if not found:
        return labels
    centroids = _unit(np.vstack([x[labels == k].mean(axis=0) for k in found]))
    out = labels.copy()
    for j in np.flatnonzero(labels == -1):
        sims = centroids @ x[j]
        best = int(np.argmax(sims))
        if sims[best] >= attach:
            out[j] = found[best]
    return out


def representatives(members: Sequence[int], vectors: np.ndarray, centroid: np.ndarray, ids: Sequence[str],
                    k: int = MAX_QUOTES) -> list[int]:
    """Up to ``k`` members closest to the centroid, skipping any near-duplicate (cosine >= 0.9) of one chosen."""
    order = sorted(members, key=lambda i: (-round(float(vectors[i] @ centroid), 6), ids[i]))
    chosen: list[int] = []
    for i in order:
        if all(float(vectors[i] @ vectors[c]) < NEAR_DUPLICATE for c in chosen):
            chosen.append(i)
        if len(chosen) == k:
            break
    return chosen


# --- week-to-week stability and trends ---------------------------------------------------------------------------


def _carry_over(drafts: list[dict], previous: dict[tuple[str, str], list[Theme]], match: float) -> None:
    """Greedy best-first one-to-one matching of new themes to last run's, per persona and kind."""
    pairs = []
    by_group: dict[tuple[str, str], list[int]] = {}
    for j, d in enumerate(drafts):
        by_group.setdefault((d["persona"], d["kind"]), []).append(j)
    for group, js in by_group.items():
        prev = [p for p in previous.get(group, []) if p.centroid]
        if not prev:
            continue
        old = _unit(np.array([p.centroid for p in prev], dtype=np.float64))
        new = np.vstack([drafts[j]["centroid"] for j in js])
        sims = np.round(new @ old.T, 6)
        for a, b in zip(*np.nonzero(sims >= match)):
            pairs.append((-float(sims[a, b]), prev[b].id, drafts[js[a]]["id"], js[a], prev[b]))
    used_prev, used_new = set(), set()
    for _, pid, _, j, p in sorted(pairs, key=lambda t: t[:3]):
        if pid in used_prev or j in used_new:
            continue
        used_prev.add(pid)
        used_new.add(j)
        drafts[j]["id"], drafts[j]["name"] = p.id, p.name


def _week_start(week: str) -> date:
    m = re.fullmatch(r"(\d{4})-W(\d{2})", week)
    if not m:
        raise ValueError(f"not an ISO week (YYYY-Www): {week!r}")
    return date.fromisocalendar(int(m[1]), int(m[2]), 1)


def trend(weekly: dict[str, int] | Iterable[tuple[str, int]], current_week: str) -> str:
    """Direction of a theme in ``current_week``, from its weekly counts.

    - new: nothing before ``current_week`` (first heard this week).
    - otherwise the baseline b is the mean count over the ``TREND_WINDOW`` (4) weeks before ``current_week``,
      zero weeks included, but never reaching before the theme's first week; c is the current week's count.
      rising: c >= max(1.5 b, b + 1); falling: b > 0 and c <= b / 2; else steady (a theme silent for the whole
      window stays steady, at zero). Weeks after ``current_week`` are ignored.
    """
    counts = dict(weekly)
    start = _week_start(current_week)
    earlier = [w for w in counts if _week_start(w) < start]
    if not earlier:
        return "new"
    first = min(_week_start(w) for w in earlier)
    window = [start - timedelta(weeks=k) for k in range(1, TREND_WINDOW + 1)]
    window = [w for w in window if w >= first]
    b = sum(counts.get(iso_week(w), 0) for w in window) / len(window) if window else 0.0
    c = counts.get(current_week, 0)
    if c >= max(1.5 * b, b + 1):
        return "rising"
    if b > 0 and c <= b / 2:
        return "falling"
    return "steady"


# --- names and keywords ------------------------------------------------------------------------------------------

_NOUN = {"NOUN", "PROPN"}
_VAGUE = {"thing", "lot", "way", "kind", "sort", "bit", "stuff", "something", "anything", "everything", "one",
          "guy", "yeah", "um", "uh", "today", "year", "week", "day", "month", "time", "point", "part", "question",
          "number", "people", "person", "team", "company", "%"}


_LEMMA_FIX = {"datum": "data", "sale": "sales"}   # the tagger's lemmas that read wrong in a theme name
_GENERIC_VERBS = {"be", "have", "do", "get", "say", "go", "give", "make", "take", "want", "think", "tell", "know",
                  "need", "see", "come", "let", "put", "look", "mean", "keep", "try", "use", "ask", "feel"}


def quote_phrases(doc) -> list[str]:
    """A quote's candidate keyphrases from its tokens (a spaCy Doc or Span with tags and lemmas): lemmatised
    1-3-grams matching ADJ* NOUN+ or VERB ADJ* NOUN+, never across punctuation (determiners and possessive
    pronouns are skipped). A lone proper noun is left out: it is usually a person being addressed."""
    segments: list[list] = [[]]
    for t in doc:
        if t.is_punct or t.is_space:
            segments.append([])
        elif t.pos_ != "DET" and not (t.pos_ == "PRON" and t.tag_ == "PRP$"):
            segments[-1].append(t)
    out = []
    for toks in segments:
        for i in range(len(toks)):
            for j in range(i + 1, min(i + 3, len(toks)) + 1):
                phrase = _phrase(toks[i:j])
                if phrase:
                    out.append(phrase)
    return out


def _phrase(span: list) -> str | None:
    tags = [t.pos_ for t in span]
    body = tags[1:] if tags[0] == "VERB" else tags
    k = 0
    while k < len(body) and body[k] == "ADJ":
        k += 1
    if k == len(body) or any(x not in _NOUN for x in body[k:]):
        return None
    lemmas = [_LEMMA_FIX.get(t.lemma_.lower(), t.lemma_.lower()) for t in span]
    if any(not re.search(r"[a-z]", x) or (t.is_stop and t.pos_ != "VERB") for x, t in zip(lemmas, span)):
        return None
    if lemmas[-1] in _VAGUE or (len(span) == 1 and (tags[0] == "PROPN" or len(lemmas[0]) < 3)):
        return None
    if tags[0] == "VERB" and lemmas[0] in _GENERIC_VERBS:
        return None
    return " ".join(lemmas)


def _keyphrases(clusters: Sequence[Sequence[str]], nlp: "Language",
                known: Mapping[str, Sequence[str]] | None = None) -> list[list[str]]:
    """Top keyphrases per cluster by c-TF-IDF (each cluster's quotes form one class document)."""
    known = known or {}
    texts = sorted({q for quotes in clusters for q in quotes})
    missing = [q for q in texts if q not in known]
    parsed = {q: list(known[q]) for q in texts if q in known}
    parsed.update(zip(missing, (quote_phrases(d) for d in nlp.pipe(missing))))
    tf = [Counter(p for q in quotes for p in parsed[q]) for quotes in clusters]
    docfreq = [Counter(p for q in quotes for p in set(parsed[q])) for quotes in clusters]
    total = Counter()
    for c in tf:
        total.update(c)
    avg = sum(total.values()) / max(len(clusters), 1)
    out = []
    for c, df in zip(tf, docfreq):
        size = sum(c.values()) or 1
        scored = sorted(((c[p] / size) * math.log(1 + avg / total[p]) * (1 + 0.25 * (len(p.split()) - 1))
                         * (1 + 0.5 * (df[p] - 1)), p) for p in c)
        picked: list[str] = []
        for _, p in sorted(scored, key=lambda s: (-round(s[0], 9), s[1])):
            if any(p in q or q in p or len(set(p.split()) & set(q.split())) >= 2 for q in picked):
                continue
            picked.append(p)
            if len(picked) == MAX_KEYWORDS:
                break
        out.append(picked)
    return out


def _name(drafts: list[dict], quotes: Sequence[str], vectors: np.ndarray, nlp: "Language") -> None:
    """Names from the top keyphrases (two when the theme has more than one quote); unique per persona x kind."""
    taken: dict[tuple[str, str], set[str]] = defaultdict(set)
    for d in drafts:
        if d["name"]:
            taken[(d["persona"], d["kind"])].add(d["name"])
    for d in sorted(drafts, key=lambda d: (-len(d["members"]), d["id"])):
        if d["name"]:
            continue
        kws = d["keywords"]
        if not kws:
            central = max(d["members"], key=lambda i: (round(float(vectors[i] @ d["centroid"]), 6), -i))
            words = [t.lemma_.lower() for t in nlp(quotes[central]) if t.is_alpha and not t.is_stop]
            kws = [" ".join(words[:4]) or quotes[central][:40].strip()]
        parts = kws[:1]
        second = next((k for k in kws[1:] if not set(k.split()) & set(kws[0].split())), None)
        if second and len(d["members"]) > 1:
            parts.append(second)
        name = " / ".join(parts)
        rest = iter(k for k in kws if k not in parts)
        seen = taken[(d["persona"], d["kind"])]
        while name in seen:
            extra = next(rest, None)
            name = f"{name} / {extra}" if extra else f"{name} ({len(d['members'])} quotes, {d['id'][-4:]})"
        seen.add(name)
        d["name"] = name


# --- the same theme across personas ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrossPersonaTheme:
    """One theme heard from several personas: the persona themes it joins and how often each persona says it."""

    kind: str
    name: str                                   # the name of its largest persona theme
    theme_ids: tuple[str, ...]
    counts: tuple[tuple[str, int], ...]         # (persona, insights), largest first
    similarity: float                           # lowest centroid cosine between two of its persona themes

    @property
    def total(self) -> int:
        return sum(c for _, c in self.counts)


def cross_persona(themes: Sequence[Theme], *, threshold: float = MATCH) -> list[CrossPersonaTheme]:
    """Join themes of the same kind from different personas whose centroids are all pairwise at least
    ``threshold`` cosine-similar (complete linkage, best pairs first, at most one theme per persona).
    Only groups spanning two or more personas are returned, largest first."""
    by_id = {t.id: t for t in themes if t.centroid}
    c = {i: _unit(np.asarray(t.centroid, dtype=np.float64)) for i, t in by_id.items()}
    sim = {}
    pairs = []
    for a in sorted(by_id):
        for b in sorted(by_id):
            ta, tb = by_id[a], by_id[b]
            if a < b and ta.kind == tb.kind and ta.persona != tb.persona:
                s = round(float(c[a] @ c[b]), 6)
                sim[(a, b)] = sim[(b, a)] = s
                if s >= threshold:
                    pairs.append((-s, a, b))
    group = {i: (i,) for i in by_id}
    for _, a, b in sorted(pairs):
        ga, gb = group[a], group[b]
        if ga == gb or {by_id[x].persona for x in ga} & {by_id[x].persona for x in gb}:
            continue
        if all(sim.get((x, y), -1.0) >= threshold for x in ga for y in gb):
            merged = tuple(sorted(ga + gb))
            for x in merged:
                group[x] = merged
    out = []
    for members in sorted(set(group.values())):
        if len(members) < 2:
            continue
        ts = sorted((by_id[m] for m in members), key=lambda t: (-t.size, t.persona, t.id))
        low = min(sim[(x, y)] for x in members for y in members if x < y)
        out.append(CrossPersonaTheme(ts[0].kind, ts[0].name, tuple(members),
                                     tuple((t.persona, t.size) for t in ts), low))
    return sorted(out, key=lambda x: (-x.total, x.kind, x.name, x.theme_ids))


# --- measuring against hand-labelled themes ----------------------------------------------------------------------


@dataclass(frozen=True)
class GroupScore:
    persona: str
    kind: str
    size: int
    gold_themes: int
    themes: int
    unthemed: int
    ari: float


@dataclass(frozen=True)
class GroupingScore:
    """Adjusted Rand index of the theme grouping against hand theme keys, and how much is left unthemed."""

    groups: tuple[GroupScore, ...]
    ari: float                       # per persona x kind group (2+ insights), averaged weighted by group size
    ari_all: float                   # over all insights at once, labels prefixed by persona and kind
    unthemed: int
    unthemed_share: dict[str, float]  # per persona with at least ``min_persona`` insights


def evaluate_grouping(insights: Sequence[Insight], vectors: np.ndarray, persona_of: Sequence[str],
                      dates: Sequence[str], gold: Sequence[str], *, current_week: str | None = None,
                      min_persona: int = 20, **build) -> GroupingScore:
    """Run ``build_themes`` and compare its grouping with the hand theme keys ``gold[i]`` of ``insights[i]``.

    Unthemed insights count as clusters of one (that is how a reader sees them). Groups of a single insight are
    left out of the weighted ARI: their ARI is 1 whatever the clustering does.
    """
    from sklearn.metrics import adjusted_rand_score

    week = current_week or iso_week(max(_day(d) for d in dates))
    themes = build_themes(insights, vectors, persona_of, dates, current_week=week, **build)
    theme_of = {i: t.id for t in themes for i in t.insight_ids}
    ids = [i.id for i in insights]
    predicted = [theme_of.get(x, f"unthemed:{x}") for x in ids]
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for j, ins in enumerate(insights):
        groups[(persona_of[j], ins.kind)].append(j)
    scores = []
    for (persona, kind), idx in sorted(groups.items()):
        g = [gold[j] for j in idx]
        p = [predicted[j] for j in idx]
        scores.append(GroupScore(persona, kind, len(idx), len(set(g)),
                                 len({x for x in p if not x.startswith("unthemed:")}),
                                 sum(x.startswith("unthemed:") for x in p), float(adjusted_rand_score(g, p))))
    weighted = [s for s in scores if s.size >= 2]
    ari = sum(s.ari * s.size for s in weighted) / max(sum(s.size for s in weighted), 1)
    keyed_gold = [f"{persona_of[j]}|{ins.kind}|{gold[j]}" for j, ins in enumerate(insights)]
    per_persona = Counter(persona_of)
    left = Counter(persona_of[j] for j, x in enumerate(predicted) if x.startswith("unthemed:"))
    return GroupingScore(tuple(scores), ari, float(adjusted_rand_score(keyed_gold, predicted)), sum(left.values()),
                         {p: left[p] / n for p, n in sorted(per_persona.items()) if n >= min_persona})


# --- helpers -----------------------------------------------------------------------------------------------------


def _unit(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norm == 0, 1.0, norm)


def _day(text: str) -> date:
    return date.fromisoformat(str(text)[:10])


def _speaker_key(ins: Insight) -> tuple[str, ...]:
    """A named speaker is one person across transcripts; a bare label (``A``, ``SPEAKER_00``) only within one."""
    if ins.speaker_name:
        return ("name", ins.speaker_name.casefold())
    return ("label", ins.transcript_id, ins.speaker or f"utterance {ins.utterance}")


def _default_nlp() -> "Language":
    from insights.nlp import load_spacy

    return load_spacy()
