"""Which side of the conversation each speaker is on: the seller (``rep``) or the ``buyer`` in a sales call, the
``host`` or the ``guest`` in a podcast or interview.

Metadata decides when it names a role. Otherwise each speaker collects *cues* from what they say, each cue a
named, weighted signal with the words that fired it, so the result can always be explained:

* sellers introduce their company ("here at Lumen"), talk about the product as theirs ("our platform",
  "we offer"), drive the meeting ("let me share my screen", "I'll send over the proposal") and ask discovery
  questions about the other side ("how are you tracking that today?");
* buyers talk about their own situation ("our CRM", "my board", "we tried"), ask about the product ("do you
  support SSO?", "how much does it cost?") and voice worries ("I'm concerned about...");
* hosts welcome ("welcome to the show"), introduce guests and ask most of the questions; guests thank the host
  ("thanks for having me") and tell their own story at length.

spaCy's tagger and lemmatizer turn "our new attribution platform" into the noun ``platform`` and "we can also
offer" into the verb ``offer``, so the cue lists hold lemmas rather than every inflected form.
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Sequence

from insights.records import SIDES, SpeakerRole, Transcript

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language
    from spacy.tokens import Doc

UNKNOWN = "unknown"
MAX_LEADS = 2            # a sales call may have an AE and a solutions engineer; a podcast two co-hosts
UTTERANCE_MIN_NET = 0.6  # one discovery question or one "my board" is enough to side an unlabelled utterance
CUE_CAP = 3              # one cue counts at most this many times per speaker: repetition is not more evidence
# An unlabelled sales-call utterance where "you" outnumbers "I/my/me" is the seller talking to the buyer: on two real
# machine-transcribed calls with no speaker labels (annotated per utterance by their publisher) it was the
# advisor's 407 times in 417; in our own written calls, where the speakers are known, 80% of the time (buyers say
# "you" when they push back on the vendor: "can you do better on price?"). So it sides an utterance on its own,
# but any cue for the buyer's side cancels it.
ADDRESS_WEIGHT = UTTERANCE_MIN_NET
_SECOND_PERSON = re.compile(r"\byou(?:r|rs|'re|'ve|'ll|'d)?\b", re.I)
_FIRST_PERSON = re.compile(r"\b(?:i|my|me|mine|i'm|i've|i'll|i'd)\b", re.I)

# --- cue lexicons -------------------------------------------------------------------------------------------
# Nouns after "our" that belong to whoever sells the product, and nouns that belong to whoever buys it.
VENDOR_NOUNS = {
    "platform", "product", "solution", "software", "pricing", "price", "tier", "plan", "package", "roadmap",
    "integration", "connector", "implementation", "onboarding", "customer", "client", "trial", "pilot",
    "dashboard", "feature", "api", "engine", "model", "module", "app", "contract", "proposal", "quote",
    "discount", "licence", "license", "seat", "sla", "demo", "case", "study", "partner", "install",
    "installation", "setup", "survey", "benchmark", "methodology", "connector", "tier",
}
BUYER_NOUNS = {
    "board", "ceo", "cfo", "budget", "crm", "salesforce", "hubspot", "rep", "marketer", "spreadsheet",
    "process", "stack", "agency", "boss", "headcount", "quarter", "staff", "hospital", "store", "warehouse",
    "incumbent", "vendor", "spend", "campaign", "lead", "analyst", "admin", "auditor", "audit", "it",
    "procurement", "finance", "department", "vp", "director", "head", "cmo", "cto",
    "ciso", "controller", "manager", "contractor", "data", "reporting", "renewal", "cycle", "number", "forecast",
    "instance", "tracker", "sheet",
}
# Verbs after "we" (skipping auxiliaries and adverbs): what a seller does vs. what a buyer does.
VENDOR_VERBS = {"offer", "provide", "integrate", "charge", "include", "ship", "host", "encrypt", "bill",
                "license", "onboard", "guarantee", "bundle", "waive", "discount", "sync", "support"}
BUYER_VERBS = {"use", "try", "struggle", "evaluate", "consider", "compare", "lose", "stitch", "export",
               "miss", "spend", "hire", "pay", "buy", "shop", "budget", "burn", "waste"}


@dataclass(frozen=True)
class Cue:
    side: str            # "lead" (rep/host) or "other" (buyer/guest)
    name: str            # human-readable: what the cue means
    weight: float
    pattern: re.Pattern[str]


def _re(p: str) -> re.Pattern[str]:
    return re.compile(p, re.I)


_SALES_CUES: tuple[Cue, ...] = (
    Cue("lead", "introduces the company", 1.5,
        _re(r"\b(?:here at|I'm with|I work (?:at|for)|calling from|on behalf of) (?-i:[A-Z])[\w&.-]*(?: (?-i:[A-Z])[\w&.-]*)?")),
    Cue("lead", "introduces a selling role", 3.0,
        _re(r"\bI(?:'m| am) (?:an? |the |your )?(?:(?:senior|enterprise|mid-market|strategic) )?(?:account "
            r"executive|AE|solutions? (?:engineer|consultant|architect)|sales (?:engineer|rep|representative)|"
            r"(?:business|sales) development rep\w*|SDR|BDR)\b")),
    Cue("lead", "shares the screen or demos", 2.5,
        _re(r"\b(?:share|sharing) my screen\b|\blet me (?:show|walk) you\b|\bwhat you(?:'re| are) seeing (?:here|now)\b"
            r"|\bcan you (?:all )?see my screen\b|\bpull up (?:a|the) demo\b")),
    Cue("lead", "offers to send material", 2.0,
        _re(r"\bI(?:'ll| will| can|'d be happy to) (?:send|shoot|email|get) (?:you |over |that |it |this |them )*"
            r"(?:the |a |an |our |my )?(?:[\w-]+ ){0,2}?(?:proposal|quote|deck|contract|order form|recap|summary|"
            r"case stud(?:y|ies)|pricing|one-pager|SOC ?2|NDA|references?|invite|intro(?:duction)?|checklist|"
            r"agreement|paperwork|documentation|overview)\b|\bI (?:can|could|'ll|will) (?:connect|introduce) you "
            r"(?:with|to)\b")),
    Cue("lead", "offers terms or a pilot", 2.0,
        _re(r"\b(?:we|I) (?:can|could|would|'d|'ll)(?: be able to)? (?:offer|do|give you|set up|run|put together|"
            r"throw in|waive|extend|discount)\b[^.?!]{0,40}\b(?:pilot|trial|discount|proof of concept|POC|"
            r"fee|price|terms|months? free|percent|%)")),
    Cue("lead", "talks about customers as ours", 1.5,
        _re(r"\b(?:one of our|our other|a lot of our|most of our|many of our) (?:customers|clients)\b|"
            r"\b(?:customers|companies|teams) like yours\b|\bwe see (?:this|that) (?:a lot|all the time)\b|"
            r"\bwe(?:'ve| have)? (?:done|seen) (?:this|that|it) (?:with|at|for|before)\b|\bwe(?:'ve| have)? "
            r"(?:worked with|helped) (?:a|another|other|many|lots of|dozens of|hundreds of) (?:\w+ )?"
            r"(?:companies|customers|teams|company|customer|clients?)\b")),
    Cue("lead", "runs the meeting", 1.0,
        _re(r"\bthanks? (?:you )?(?:so much )?for (?:taking|making) (?:the )?time\b|\bappreciate you (?:taking|making)"
            r"\b|\bnext steps\b|\bwho else (?:is|would be|needs to be) involved\b|\bdecision[- ]making "
            r"process\b|\bthe reason I ask\b|\bdoes that make sense\b|\bwhat would success look like\b")),
    Cue("other", "asks about the product", 1.2,
        _re(r"\b(?:do|does|can|will|would) (?:you|you guys|it|your \w+|the platform|the tool) (?:support|have|"
            r"offer|integrate|connect|handle|provide|store|host|work with|export|sync)\b|\bhow much (?:does|is|"
            r"would|will)\b|\bwhat does (?:it|that|this) cost\b|\byour (?:platform|product|tool|pricing|price|"
            r"contract|roadmap|implementation|onboarding|security|SOC ?2|support team|customers)\b")),
    Cue("other", "voices a worry", 1.0,
        _re(r"\bI(?:'m| am) (?:a (?:little|bit) |a little bit |really |still |just )?(?:worried|concerned|nervous|"
            r"skeptical|not (?:sure|convinced|comfortable))\b|\bmy (?:concern|worry|worries|fear|hesitation)\b")),
    Cue("other", "defers to others", 1.5,
        _re(r"\bI(?:'d| would|'ll| will)? (?:need|have) to (?:run (?:it|this|that) (?:by|past)|check with|talk to|"
            r"loop in|get sign-?off|get approval|take (?:it|this) to)\b|\b(?:send|email) (?:me|us) (?:the|a|your)\b")),
    Cue("other", "describes their own situation", 0.8,
        _re(r"\bmy (?:team|board|CEO|CFO|boss|budget|reps|people|manager|director)\b|\bwe(?:'re| are) "
            r"(?:evaluating|looking at|comparing|considering|talking to)\b|\bwe (?:currently|already) (?:use|have|pay)\b"
            r"|\bin our (?:case|world|shop)\b|\bI report (?:in)?to\b|\bfor (?:us|our (?:team|company|side)|my team)\b")),
)

_SHOW_CUES: tuple[Cue, ...] = (
    Cue("lead", "welcomes to the show", 3.0,
        _re(r"\bwelcome (?:back )?to (?:the |our )?(?:show|podcast|episode|(?-i:[A-Z])[\w']*(?: (?-i:[A-Z])[\w']*){0,3})\b"
            r"|\bI'm your host\b|\b(?:hey|hi|hello) (?:everybody|everyone|folks|all)\b")),
    Cue("lead", "introduces the guest", 2.5,
        _re(r"\bmy guests? (?:today|this week|on the show)\b|\b(?:today|this week) (?:I've|I have|we've|we have) got\b"
            r"|\bjoining (?:me|us) (?:today|now|is)\b|\b(?:I'm|I am) (?:here )?(?:joined|sitting) (?:by|with)\b|"
            r"\bwelcome (?:to the show|aboard),? (?-i:[A-Z])\w+|\b(?-i:[A-Z])\w+, welcome\b|\bgreat to have you\b|"
            r"\bthanks? (?:you )?for (?:coming on|joining (?:me|us))\b")),
    Cue("lead", "talks to the audience", 2.0,
        _re(r"\b(?:our |the )?(?:listeners|audience)\b|\bsubscribe\b|\bsee you next (?:time|week)\b|"
            r"\bthat's (?:all|it) for (?:this|today)\b|\bwhere can (?:people|listeners|folks) find you\b|"
            r"\bbefore (?:we|I) (?:wrap|let you go|go)\b|\blightning round\b|\b(?:one )?last question\b")),
    Cue("lead", "prompts the guest", 1.0,
        _re(r"\b(?:tell|walk) (?:me|us|people|folks|our listeners) (?:a (?:little )?(?:bit )?)?(?:about|through)\b"
            r"|\bwhat (?:was|is) that like\b|\bhow did you\b|\bwhat do you (?:mean|think)\b")),
    Cue("other", "thanks the host", 3.0,
        _re(r"\bthanks? (?:you )?(?:so much )?for having me\b|\b(?:happy|glad|great|good|excited|thrilled) to be "
            r"(?:here|on)\b|\bmy pleasure\b")),
    Cue("other", "tells their own story", 0.8,
        _re(r"\bwhen I (?:joined|started|took over|was at|came in)\b|\bin my (?:experience|last (?:job|role|company))\b"
            r"|\bat my (?:company|last company)\b|\bmy (?:team|CEO|board|first|job)\b|\bwe (?:learned|realized|found)\b")),
)

_QUESTION_OPENERS = {"what", "how", "why", "when", "where", "who", "which", "do", "does", "did", "is", "are",
                     "can", "could", "would", "will", "have", "has", "should"}
_ABOUT_PRODUCT = re.compile(r"\b(?:you guys|your (?:platform|product|tool|pricing|price|contract|roadmap|team)|"
                            r"(?:do|does|can|will) (?:you|it) (?:support|have|offer|integrate|connect|handle|work)|"
                            r"how much|cost)\b", re.I)


@dataclass
class _Tally:
    """Evidence collected for one speaker (or one utterance): weighted cue hits with the words that fired."""

    lead: float = 0.0
    other: float = 0.0
    hits: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    questions: int = 0
    sentences: int = 0
    words: int = 0
    turns: int = 0

    def add(self, side: str, name: str, weight: float, quote: str) -> None:
        quotes = self.hits[(side, name)]
        if len(quotes) < CUE_CAP:
            if side == "lead":
                self.lead += weight
            else:
                self.other += weight
        quotes.append(quote)

    @property
    def net(self) -> float:
        return self.lead - self.other

    def strongest(self, side: str, n: int = 2) -> list[str]:
        """The cues of one side that weigh most, as 'name: "quote"'."""
        weights = {c.name: c.weight for c in _SALES_CUES + _SHOW_CUES}
        items = [(name, qs) for (s, name), qs in self.hits.items() if s == side]
        items.sort(key=lambda kv: -min(len(kv[1]), CUE_CAP) * weights.get(kv[0], 1.0))
        return [f'{name}: "{qs[0]}"' + (f" (+{len(qs) - 1} more)" if len(qs) > 1 else "") for name, qs in items[:n]]


def infer_roles(t: Transcript, own_company: Sequence[str] = (), *, nlp: "Language | None" = None,
                docs: Sequence["Doc"] | None = None) -> list[SpeakerRole]:
    """One SpeakerRole per speaker (or per utterance when the transcript has no speaker labels). ``docs``: the
    utterances already parsed (one per utterance), so a caller that parsed them does not pay twice."""
    lead_role, other_role = SIDES.get(t.kind, SIDES["sales_call"])
    if docs is None:
        from insights.nlp import load_spacy
        from insights.sentences import parse_utterances

        docs = parse_utterances(t, nlp or load_spacy())
    sales = lead_role == "rep"
    own = [c.strip() for c in own_company if c and c.strip()]

    labelled = [u for u in t.utterances if u.speaker is not None]
    if not labelled:
        return [_utterance_role(t, i, doc, sales, own, lead_role, other_role) for i, doc in enumerate(docs)]

    order = _speaker_order(t)
    tallies: dict[str, _Tally] = {label: _Tally() for label in order}
    for u, doc in zip(t.utterances, docs):
        if u.speaker is not None:
            _collect(tallies[u.speaker], u.text, doc, sales, own)
    if order:
        first = order[0]
        tallies[first].add("lead", "speaks first", 0.75 if sales else 1.5, _clip(t.utterances[0].text, 60))
    if not sales:
        _length_cues(tallies)

    known = {}
    for label in order:
        sp = t.speaker(label)
        if sp is not None and sp.role:
            known[label] = sp.role
    return _decide(t, order, tallies, known, own, lead_role, other_role)


# --- per speaker ---------------------------------------------------------------------------------------------

def _speaker_order(t: Transcript) -> list[str]:
    """Speaker labels in order of first appearance, then any speaker the metadata lists who never speaks."""
    seen: list[str] = []
    for u in t.utterances:
        if u.speaker is not None and u.speaker not in seen:
            seen.append(u.speaker)
    for s in t.speakers:
        if s.label not in seen:
            seen.append(s.label)
    return seen


def _collect(tally: _Tally, text: str, doc: "Doc", sales: bool, own: Sequence[str]) -> None:
    """Add every cue one utterance shows to a speaker's tally."""
    tally.turns += 1
    tally.words += len(text.split())
    for cue in (_SALES_CUES if sales else _SHOW_CUES):
        for m in cue.pattern.finditer(text):
            tally.add(cue.side, cue.name, cue.weight, _clip(m.group(0), 70))
    if sales:
        _possessive_cues(tally, doc)
        for name in own:
            pat = re.compile(rf"\b(?:we|our|us)\b[^.?!]{{0,40}}\b{re.escape(name)}\b|\b{re.escape(name)}\b[^.?!]{{0,40}}"
                             rf"\b(?:we|our|us)\b|\b(?:here at|from|with) {re.escape(name)}\b", re.I)
            for m in pat.finditer(text):
                tally.add("lead", f"speaks for {name}", 3.0, _clip(m.group(0), 70))
    for sent in doc.sents:
        words = [t for t in sent if not t.is_punct and not t.is_space]
        if not words:
            continue
        tally.sentences += 1
        if _is_question(sent):
            tally.questions += 1
            s = sent.text.strip()
            if sales:
                if _ABOUT_PRODUCT.search(s):
                    continue  # counted by the "asks about the product" cue
                if re.search(r"\byou(?:r|'re|'ve)?\b", s, re.I):
                    tally.add("lead", "asks discovery questions", 0.6, _clip(s, 70))
            else:
                tally.add("lead", "asks questions", 0.6, _clip(s, 70))


def _possessive_cues(tally: _Tally, doc: "Doc") -> None:
    """'our <noun>' and 'we <verb>' by lemma: the seller's product vs. the buyer's own world."""
    toks = list(doc)
    for i, tok in enumerate(toks):
        low = tok.lower_
        if low == "our":
            run = []
            for nxt in toks[i + 1:i + 5]:
                if nxt.pos_ in {"ADJ", "NOUN", "PROPN", "NUM"} or nxt.lower_ in {"-"}:
                    run.append(nxt)
                else:
                    break
            nouns = [n.lemma_.lower() for n in run if n.pos_ in {"NOUN", "PROPN"}]
            if not nouns:
                continue
            quote = doc[tok.i:run[-1].i + 1].text
            if nouns[-1] in VENDOR_NOUNS:
                tally.add("lead", "talks about the product as ours", 1.5, quote)
            elif any(n in BUYER_NOUNS for n in nouns):
                tally.add("other", "talks about their own company", 0.6, quote)
        elif low == "we":
            for nxt in toks[i + 1:i + 5]:
                if nxt.pos_ in {"AUX", "ADV", "PART"} or nxt.lower_ in {"also", "then", "just", "actually"}:
                    continue
                if nxt.pos_ == "VERB":
                    lemma = nxt.lemma_.lower()
                    negated = any(x.lower_ in {"not", "n't", "never"} for x in toks[i + 1:nxt.i])
                    quote = doc[tok.i:nxt.i + 1].text
                    if lemma in VENDOR_VERBS and not negated:
                        tally.add("lead", "says what 'we' offer", 1.5, quote)
                    elif lemma in BUYER_VERBS:
                        tally.add("other", "says what 'we' use or struggle with", 0.8, quote)
                break


def _is_question(sent) -> bool:
    text = sent.text.strip()
    if text.endswith("?"):
        return True
    words = [t.lower_ for t in sent if not t.is_punct]
    return len(words) >= 4 and words[0] in _QUESTION_OPENERS and words[1] in {"you", "your", "we", "is", "are",
                                                                                "do", "does", "did"}


def _length_cues(tallies: dict[str, _Tally]) -> None:
    """In a show the guest does most of the talking in long turns; the host keeps turns short."""
    if len(tallies) < 2:
        return
    means = {k: v.words / v.turns for k, v in tallies.items() if v.turns}
    if not means:
        return
    avg = sum(means.values()) / len(means)
    for label, mean in means.items():
        if mean > 1.3 * avg:
            tallies[label].add("other", "talks in long turns", 1.5, f"{mean:.0f} words a turn vs {avg:.0f} on average")


# --- decisions -----------------------------------------------------------------------------------------------

def _decide(t: Transcript, order: list[str], tallies: dict[str, _Tally], known: dict[str, str],
            own: Sequence[str], lead_role: str, other_role: str) -> list[SpeakerRole]:
    out: dict[str, SpeakerRole] = {}
    for label, role in known.items():
        out[label] = SpeakerRole(t.id, label, role, 1.0, "metadata")
    # Metadata that names a company we were told is our own is as good as a role.
    own_fold = {c.casefold() for c in own}
    for label in order:
        sp = t.speaker(label)
        if label not in out and sp is not None and sp.company and sp.company.casefold() in own_fold:
            out[label] = SpeakerRole(t.id, label, lead_role, 0.95, f"metadata company {sp.company!r} is our own")

    free = [label for label in order if label not in out and tallies[label].turns > 0]
    leads_known = [label for label, r in out.items() if r.role == lead_role]
    ranked = sorted(free, key=lambda k: (-tallies[k].net, order.index(k)))
    leads: list[str] = []
    if ranked:
        top = ranked[0]
        if not leads_known:
            leads.append(top)
        for cand in ranked[len(leads):]:
            if len(leads) + len(leads_known) >= MAX_LEADS:
                break
            tl = tallies[cand]
            ref = max([tallies[x].net for x in leads] or [0.0])
            if tl.net >= 4.0 and tl.lead >= 2 * max(tl.other, 1.0) and tl.net >= 0.4 * ref:
                leads.append(cand)
    introduced = _colleagues_of_leads(t, leads + leads_known, [x for x in free if x not in leads])
    for label, quote in introduced.items():
        if len(leads) + len(leads_known) < MAX_LEADS and tallies[label].net > -4.0:
            leads.append(label)
            tallies[label].add("lead", "introduced by a colleague on the selling side" if lead_role == "rep"
                               else "introduced as a co-host", 3.0, quote)
    for label in free:
        tl = tallies[label]
        others = [tallies[x].net for x in free if x != label]
        if label in leads:
            rival = max([n for x, n in ((x, tallies[x].net) for x in free) if x not in leads] or [0.0])
            margin = tl.net - rival if others else tl.net
            conf = _confidence(margin)
            why = tl.strongest("lead") or ["no stronger candidate"]
            if tl.questions and tl.sentences:
                why.append(f"asks {tl.questions} of {tl.sentences} sentences as questions")
            out[label] = SpeakerRole(t.id, label, lead_role, conf, "; ".join(why[:3]))
        else:
            lead_nets = [tallies[x].net for x in leads] or [max(others, default=0.0)]
            margin = min(lead_nets) - tl.net
            conf = _confidence(margin)
            why = tl.strongest("other")
            if not why:
                why = [f"fewer {lead_role} cues than {', '.join(_name(t, x) for x in leads) or 'the others'}"
                       f" (score {tl.net:+.1f} vs {min(lead_nets):+.1f})"]
            out[label] = SpeakerRole(t.id, label, other_role, conf, "; ".join(why))
    # Speakers the metadata lists who never speak: the other side unless the metadata says otherwise.
    for label in order:
        if label not in out:
            out[label] = SpeakerRole(t.id, label, other_role, 0.5, "never speaks; assumed not the " + lead_role)
    return [out[label] for label in order]


_COLLEAGUE_ROLE = re.compile(
    r"\b(?:our|my) (?:(?:senior|lead|principal) )?(?:solutions? (?:engineer|consultant|architect)|sales engineer|"
    r"account (?:executive|manager)|AE|SE|colleague|teammate|co-?host|technical (?:lead|specialist)|"
    r"implementation (?:lead|manager|specialist)|product specialist|customer success manager|CSM)\b|"
    r"\bfrom (?:our|my) (?:solutions|sales|product|engineering|security|implementation|onboarding|technical) team\b",
    re.I)


def _colleagues_of_leads(t: Transcript, leads: list[str], candidates: list[str]) -> dict[str, str]:
    """Speakers a rep/host introduces as their own colleague ("I've got Priya, our solutions engineer")."""
    if not leads or not candidates:
        return {}
    from insights.personas import speaker_names

    names = speaker_names(t)
    out: dict[str, str] = {}
    for u in t.utterances:
        if u.speaker not in leads:
            continue
        for m in _COLLEAGUE_ROLE.finditer(u.text):
            window = u.text[max(0, m.start() - 80):m.end() + 40]
            for label in candidates:
                if label in out:
                    continue
                for n in names.get(label, ()):
                    if re.search(rf"\b{re.escape(n)}\b", window, re.I):
                        out[label] = _clip(window, 90)
                        break
    return out


def _utterance_role(t: Transcript, index: int, doc: "Doc", sales: bool, own: Sequence[str], lead_role: str,
                    other_role: str) -> SpeakerRole:
    """No speaker labels: judge each utterance by itself, and say ``unknown`` when it shows no cue."""
    tally = _Tally()
    text = t.utterances[index].text
    _collect(tally, text, doc, sales, own)
    if sales and len(_SECOND_PERSON.findall(text)) > len(_FIRST_PERSON.findall(text)):
        tally.add("lead", "speaks to the buyer as 'you'", ADDRESS_WEIGHT, _clip(text, 60))
    words = tally.words
    if sales and words >= 60 and re.search(r"\b(?:we|our|you'll|your team will)\b", text, re.I) and tally.lead > 0:
        tally.add("lead", "explains at length what we do", 1.0, f"{words} words")
    if not sales and tally.questions and words <= 40:
        tally.add("lead", "short question", 1.0, _clip(text, 60))
    if not sales and words >= 80 and tally.questions == 0:
        tally.add("other", "long answer", 1.0, f"{words} words")
    net = tally.net
    if abs(net) < UTTERANCE_MIN_NET:
        if not tally.hits:
            why = "no cue in this utterance"
        elif tally.lead and tally.other:
            why = "cues on both sides: " + "; ".join(tally.strongest("lead", 1) + tally.strongest("other", 1))
        else:
            why = "too weak a cue: " + "; ".join(tally.strongest("lead", 1) + tally.strongest("other", 1))
        return SpeakerRole(t.id, None, UNKNOWN, 0.0, why, utterance=index)
    side = "lead" if net > 0 else "other"
    role = lead_role if side == "lead" else other_role
    return SpeakerRole(t.id, None, role, _confidence(abs(net)), "; ".join(tally.strongest(side)), utterance=index)


def _confidence(margin: float) -> float:
    """Margin between the two sides' scores -> [0.5, 0.99]: a small margin is barely better than a coin."""
    return round(min(0.99, 0.5 + 0.5 * math.tanh(max(margin, 0.0) / 4.0)), 3)


def _name(t: Transcript, label: str) -> str:
    sp = t.speaker(label)
    return sp.display if sp else label


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def roles_by_speaker(roles: Iterable[SpeakerRole]) -> dict[str | None, str]:
    """``{speaker label: role}`` for labelled transcripts (a convenience for later stages)."""
    return {r.speaker: r.role for r in roles if r.speaker is not None}
