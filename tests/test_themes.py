"""The theme stage with the real MiniLM embeddings, the real spaCy tagger and the real HDBSCAN."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from insights.records import Insight, Theme
from insights.themes import build_themes, cross_persona, evaluate_grouping, trend, unthemed_ids

ROOT = Path(__file__).resolve().parent.parent

PRICE = [
    "Honestly the price is just too high for a team our size.",
    "Forty thousand a year is more than we budgeted for this kind of tool.",
    "I can't justify that cost to my board when the budget is already tight.",
    "The pricing feels expensive compared with what we pay for our CRM.",
    "That number is way over what we can spend this year.",
]
SECURITY = [
    "Our security team has to review your SOC 2 report before we sign.",
    "We can't move forward until security signs off on your compliance documents.",
    "A security review alone will take our IT team six weeks.",
    "Without a SOC 2 report our security team will block the purchase.",
    "My IT security lead wants to see your penetration test results first.",
]
TIMING = [
    "The timing is bad, can we talk again next quarter?",
    "We can't start anything new until next quarter.",
    "Let's revisit this next quarter once things settle down.",
    "Now is not the right time, maybe in a few months.",
]
DUCT_TAPE = [
    "Our reporting is held together with duct tape and spreadsheets.",
    "Honestly our reporting is just duct tape and a few spreadsheets.",
]


def make(quotes: list[str], *, kind: str = "objection", transcript: str = "t1", speaker: str = "Ana",
         name: str | None = "Ana Ruiz") -> list[Insight]:
    """Insights as the extractor would make them: one per utterance, the whole utterance quoted."""
    return [Insight(kind=kind, quote=q, transcript_id=transcript, source=f"{transcript}.txt", utterance=n,
                    span=(0, len(q)), speaker=speaker, speaker_name=name, role="buyer", start=None,
                    confidence=0.9, reason="test") for n, q in enumerate(quotes)]


@pytest.fixture(scope="module")
def embed():
    from insights.nlp import Embedder

    embedder = Embedder()
    return lambda insights: embedder.embed(i.quote for i in insights)


@pytest.fixture(scope="module")
def nlp():
    from insights.nlp import load_spacy

    return load_spacy()


def themes_for(insights, embed, nlp, *, persona="cfo_finance", dates=None, week="2026-W46", previous=()):
    personas = persona if isinstance(persona, list) else [persona] * len(insights)
    dates = dates or ["2026-11-10"] * len(insights)
    return build_themes(insights, embed(insights), personas, dates, current_week=week, previous=previous, nlp=nlp)


def theme_holding(themes: list[Theme], insight: Insight) -> Theme:
    return next(t for t in themes if insight.id in t.insight_ids)


def test_clear_groups_become_separate_themes_named_from_their_words(embed, nlp):
    price = make(PRICE, transcript="a")
    security = make(SECURITY, transcript="b")
    timing = make(TIMING, transcript="c")
    themes = themes_for(price + security + timing, embed, nlp)
    for group, words in ((price, {"price", "cost", "budget", "number", "pricing"}),
                         (security, {"security", "report", "review", "compliance"}),
                         (timing, {"timing", "quarter", "time", "month"})):
        held = [theme_holding(themes, i) for i in group if any(i.id in t.insight_ids for t in themes)]
        top = max(set(held), key=held.count)
        assert held.count(top) >= len(group) - 1, f"{[i.quote for i in group]} split over {len(set(held))} themes"
        assert len(set(top.insight_ids) - {x.id for x in group}) <= 1, f"{top.name!r} mixes groups"
        assert words & set(top.name.replace("/", " ").split()), f"name {top.name!r} uses none of {words}"
        assert not top.name.startswith("topic")


def test_a_persona_with_only_a_handful_of_insights_still_gets_every_one_shown(embed, nlp):
    few = make(DUCT_TAPE + ["Every vendor promises a two-week setup and it always takes three months."],
               kind="analogy", transcript="d")
    themes = themes_for(few, embed, nlp, persona="revops")
    assert unthemed_ids(few, themes) == ()
    assert theme_holding(themes, few[0]) == theme_holding(themes, few[1]), "the two duct-tape lines belong together"
    assert "duct tape" in theme_holding(themes, few[0]).name
    assert theme_holding(themes, few[2]).size == 1


def test_same_inputs_in_any_order_give_identical_themes(embed, nlp):
    insights = make(PRICE + SECURITY + TIMING)
    first = themes_for(insights, embed, nlp)
    again = themes_for(insights, embed, nlp)
    order = list(reversed(range(len(insights))))
    shuffled = build_themes([insights[i] for i in order], embed(insights)[order], ["cfo_finance"] * len(insights),
                            ["2026-11-10"] * len(insights), current_week="2026-W46", nlp=nlp)
    assert first == again == shuffled
    assert [t.centroid for t in first] == [t.centroid for t in shuffled]


def test_a_new_week_keeps_earlier_theme_ids_and_names_and_sets_trends(embed, nlp):
    week1 = make(PRICE[:2] + SECURITY + TIMING, transcript="w1")
    before = themes_for(week1, embed, nlp, dates=["2026-11-03"] * len(week1), week="2026-W45")
    more_price = make(PRICE[2:] + ["We simply can't afford that annual price right now.",
                                   "The quote you sent is far above what we pay for similar software."],
                      transcript="w2")
    fresh = make(["My finance team refuses to pay the whole year upfront.",
                  "Paying twelve months in advance is a non-starter for our finance team.",
                  "We only sign contracts that are billed monthly, never annually in advance."], transcript="w3")
    week2 = more_price + fresh
    everything = week1 + week2
    dates = ["2026-11-03"] * len(week1) + ["2026-11-10"] * len(week2)
    after = themes_for(everything, embed, nlp, dates=dates, week="2026-W46", previous=before)

    old_price, new_price = theme_holding(before, week1[0]), theme_holding(after, week1[0])
    assert (new_price.id, new_price.name) == (old_price.id, old_price.name)
    assert new_price.trend == "rising" and dict(new_price.weekly)["2026-W46"] >= 3
    old_security, new_security = theme_holding(before, week1[2]), theme_holding(after, week1[2])
    assert (new_security.id, new_security.name) == (old_security.id, old_security.name)
    assert new_security.trend == "falling" and new_security.weekly == (("2026-W45", len(new_security.insight_ids)),)
    assert theme_holding(after, fresh[0]).trend == "new"
    assert theme_holding(after, fresh[0]).id not in {t.id for t in before}
    assert all(t.trend == "new" for t in before)


@pytest.mark.parametrize("weekly, expected", [
    ({"2026-W46": 2}, "new"),
    ({"2026-W44": 1, "2026-W45": 1, "2026-W46": 3}, "rising"),
    ({"2026-W44": 2, "2026-W45": 2, "2026-W46": 2}, "steady"),
    ({"2026-W44": 4, "2026-W45": 4, "2026-W46": 1}, "falling"),
    ({"2026-W45": 3}, "falling"),                       # said last week, silent this week
    ({"2026-W30": 5, "2026-W46": 1}, "rising"),          # back after a long silence: the window holds only zeros
    ({"2026-W45": 1, "2026-W46": 1, "2026-W47": 9}, "steady"),  # weeks after the current one are ignored
    ({"2025-W52": 2, "2026-W01": 2}, "steady"),          # the window crosses the new year
])
def test_trend_compares_the_current_week_with_the_four_weeks_before(weekly, expected):
    current = "2026-W01" if "2025-W52" in weekly else "2026-W46"
    assert trend(weekly, current) == expected


def test_representative_quotes_are_central_and_never_near_duplicates(embed, nlp):
    repeated = ["Honestly, the price is just too high for a team our size.",
                "Honestly the price is just too high for a team of our size."]
    insights = make(PRICE + repeated + SECURITY)
    vectors = embed(insights)
    at = {i.id: n for n, i in enumerate(insights)}
    themes = themes_for(insights, embed, nlp)
    assert themes
    for theme in themes:
        chosen = [vectors[at[i]] for i in theme.quotes]
        assert all(float(a @ b) < 0.9 for n, a in enumerate(chosen) for b in chosen[n + 1:]), theme.name
        members = [vectors[at[i]] for i in theme.insight_ids]
        distinct = any(float(a @ b) < 0.9 for n, a in enumerate(members) for b in members[n + 1:])
        assert 2 <= len(theme.quotes) <= 3 if distinct else len(theme.quotes) == 1
        centroid = np.asarray(theme.centroid)
        best = max(float(v @ centroid) for v in members)
        assert float(chosen[0] @ centroid) == pytest.approx(best, abs=1e-5), "the first quote is the most central"


def test_noise_stays_unthemed_but_is_counted_and_retrievable(embed, nlp):
    odd = "The parking garage at our office floods every spring."
    insights = make(PRICE + SECURITY + [odd])
    themes = themes_for(insights, embed, nlp)
    left = unthemed_ids(insights, themes)
    assert insights[-1].id in left
    held = [i for t in themes for i in t.insight_ids]
    assert len(held) == len(set(held)), "an insight is in two themes"
    assert sorted(held + list(left)) == sorted(i.id for i in insights), "every insight is themed or listed unthemed"
    score = evaluate_grouping(insights, embed(insights), ["cfo_finance"] * len(insights), ["2026-11-10"] * len(insights),
                              ["price"] * 5 + ["security"] * 5 + ["other"], nlp=nlp, min_persona=5)
    assert score.unthemed == len(left) and score.unthemed_share["cfo_finance"] == len(left) / len(insights)


def test_themes_count_distinct_transcripts_and_speakers_and_dates(embed, nlp):
    a = make(PRICE[:2], transcript="a", speaker="A", name=None)
    b = make(PRICE[2:4], transcript="b", speaker="A", name=None)       # the same bare label, another call
    c = make(PRICE[4:], transcript="c", speaker="Ana", name="Ana Ruiz")
    d = make(["That price is too much for us this year."], transcript="d", speaker="Ana R", name="Ana Ruiz")
    insights = a + b + c + d + make(SECURITY, transcript="e", speaker="S", name="Sam Lee")
    dates = ["2026-11-02"] * 2 + ["2026-11-12"] * 2 + ["2026-11-05", "2026-11-06"] + ["2026-11-10"] * 5
    themes = themes_for(insights, embed, nlp, dates=dates)
    price = theme_holding(themes, a[0])
    assert set(i.id for i in a + b + c + d) <= set(price.insight_ids)
    assert (price.transcripts, price.speakers) == (4, 3)
    assert (price.first_seen, price.last_seen) == ("2026-11-02", "2026-11-12")
    assert price.weekly == (("2026-W45", 4), ("2026-W46", 2))
    assert price.size == len(price.insight_ids)


def test_the_same_theme_said_by_two_personas_is_joined_with_counts(embed, nlp):
    cfo = make(PRICE + SECURITY, transcript="f")
    vp = make(["The price is too high for our marketing budget.",
               "That cost is more than I can get approved this year.",
               "It's expensive, and the budget is already stretched thin."] + TIMING, transcript="g", speaker="Vic",
              name="Vic Hale")
    insights = cfo + vp
    themes = themes_for(insights, embed, nlp, persona=["cfo_finance"] * len(cfo) + ["vp_marketing"] * len(vp))
    joined = cross_persona(themes)
    price = [j for j in joined if theme_holding(themes, cfo[0]).id in j.theme_ids]
    assert len(price) == 1 and theme_holding(themes, vp[0]).id in price[0].theme_ids
    assert dict(price[0].counts) == {"cfo_finance": theme_holding(themes, cfo[0]).size,
                                     "vp_marketing": theme_holding(themes, vp[0]).size}
    assert all(len({p for p, _ in j.counts}) == len(j.counts) >= 2 for j in joined)


def test_mismatched_inputs_are_refused():
    insights = make(PRICE[:2])
    with pytest.raises(ValueError):
        build_themes(insights, np.zeros((1, 384)), ["x", "x"], ["2026-11-10"] * 2, current_week="2026-W46")
    with pytest.raises(ValueError):
        build_themes(insights, np.zeros((2, 384)), ["x", "x"], ["2026-11-10"] * 2, current_week="2026-46")


# --- measured on the sample corpus's hand theme labels ------------------------------------------------------------


def _load_bench():
    spec = importlib.util.spec_from_file_location("theme_grouping", ROOT / "bench" / "theme_grouping.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module           # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus_score(embed, nlp):
    gold = _load_bench().load_gold_themes()
    if not gold.insights:
        pytest.skip("no sample_transcripts/*.gold.jsonl line carries a \"theme\" key yet")
    return evaluate_grouping(gold.insights, embed(gold.insights), gold.persona_of, gold.dates, gold.themes, nlp=nlp)


def test_grouping_agrees_with_hand_themes_and_leaves_little_unthemed(corpus_score):
    """Regression floor just under the measured level: ARI 0.18 on 475 gold items from 17 files (per persona x kind,
    weighted by size; 0.29 on the first 238 items, which the parameters were chosen on). Grouping each persona's
    insights by transcript scores -0.01, so this is far from chance, and far from the target below."""
    assert corpus_score.ari >= 0.15
    assert corpus_score.unthemed_share and max(corpus_score.unthemed_share.values()) <= 0.30


@pytest.mark.xfail(strict=True, reason="the target: MiniLM quote embeddings put a hand theme's quotes nearest "
                   "each other only about half the time (same-theme median cosine 0.25 vs 0.15 across themes), which "
                   "caps ARI near 0.2-0.3 on this corpus")
def test_grouping_reaches_the_target_agreement_with_hand_themes(corpus_score):
    assert corpus_score.ari >= 0.6


def test_the_smallest_theme_is_two_quotes_until_a_group_holds_hundreds():
    from insights.themes import min_cluster_size

    assert [min_cluster_size(n) for n in (10, 60, 199, 200, 1000, 5000)] == [2, 2, 2, 2, 10, 50]


def test_known_keyphrases_are_used_instead_of_parsing_the_quotes_again(embed, nlp):
    quotes = ["The renewal price doubled overnight.", "A doubled renewal price is hard to defend.",
              "Renewal pricing went up again this year."]
    insights = make(quotes)
    known = {q: ["zebra crossing"] for q in quotes}
    themes = build_themes(insights, embed(insights), ["cfo_finance"] * 3, ["2026-11-10"] * 3,
                          current_week="2026-W46", nlp=nlp, phrases=known)
    assert any("zebra crossing" in t.keywords for t in themes)
