"""A generated corpus of sales calls for the performance benchmark, built from the repo's own sample corpus.

    .venv/bin/python bench/corpus.py OUT_DIR N [--seed S] [--first-index I] [--check]

Why generated: the benchmark needs hundreds of 30-45 minute calls, and the sample corpus has 17 short ones. Each
call strings together runs of consecutive turns from the sample transcripts (so questions keep their answers and
objections their responses), rep-side speech to the call's rep and buyer-side speech to its buyers (podcast and
interview hosts count as rep side, guests as buyer side). Why varied: the pipeline caches embeddings by text, so
verbatim copies would make a large corpus cost little more than the sample. Names, companies, tools, numbers,
weekdays and common phrasings are substituted, and most sentences get one or more speech edits (a discourse
opener, a tag, a filler, a repeated word, a contraction, a dropped clause); turns are now and then merged,
trimmed, reordered or interrupted by a back-channel. ``--check`` parses every file with the project's parser
and reports the share of distinct sentences.

Deterministic: call ``i`` draws only from ``random.Random(seed + i)`` (and a fixed account book drawn from the
seed), never from set order or the clock, so the same arguments write byte-identical files, and a later batch
with ``first_index`` past the first does not collide with it.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SAMPLE_DIR = ROOT / "sample_transcripts"
TRUTH_FILES = (ROOT / "tests/data/corpus_truth_a.json", ROOT / "tests/data/corpus_truth_b.json")
CALLS_PER_WEEK = 100
CLOSING_WORDS = 250               # about what the closing turns of a call add
VENDOR = "Lumen"
SIDE_OF_ROLE = {"rep": "rep", "host": "rep", "buyer": "buyer", "guest": "buyer"}

# --- vocabularies ------------------------------------------------------------------------------------------------

REP_TEAM = ("Maya Chen", "Derek Olsen", "Tom Alvarez", "Aisha Grant", "Ryan Mercer", "Lena Fischer",
            "Omar Haddad", "Chloe Brandt", "Victor Salazar", "Hannah Cole", "Sam Whitaker", "Nora Quinn")
REP_TITLES = ("Account Executive", "Account Executive", "Senior Account Executive", "Enterprise Account Executive")
FIRST_NAMES = ("Rachel", "Marcus", "Jordan", "Helen", "Luis", "Erin", "Sanjay", "Nadia", "Ben", "Priya", "Carlos",
               "Greta", "Owen", "Fatima", "Daniel", "Keiko", "Mateo", "Laura", "Samir", "Julia", "Patrick", "Ines",
               "Tobias", "Grace", "Hugo", "Amara", "Felix", "Yara", "Connor", "Mei", "Diego", "Ruth", "Elliot",
               "Zoe", "Kwame", "Sofia", "Adam", "Leah", "Ravi", "Monica", "Andre", "Tessa", "Malik", "Claire",
               "Noah", "Ingrid", "Paolo", "Hana", "Gavin", "Lucia")
LAST_NAMES = ("Owens", "Bell", "Kim", "Park", "Ortega", "Walsh", "Rao", "Haddad", "Archer", "Mendes", "Lindqvist",
              "Novak", "Okafor", "Brennan", "Tanaka", "Moreau", "Schultz", "Delgado", "Price", "Kowalski", "Ahmed",
              "Fitzgerald", "Varga", "Sato", "Costa", "Hughes", "Jensen", "Abara", "Romano", "Lindgren", "Patel",
              "Harper", "Nguyen", "Weiss", "Castillo", "Doyle", "Ibrahim", "Keller", "Marsh", "Olsen")
ACCOUNT_STEMS = ("Brightwave", "Cartwell", "Oakridge", "Quillstack", "Fernhill", "Pinecrest", "Tidepool",
                 "Northbay", "Harborline", "Silverpine", "Redwood", "Ironleaf", "Bluecrest", "Stonegate",
                 "Copperfield", "Lakeshore", "Westmark", "Elmhurst", "Granite Peak", "Meadowlark", "Sunridge",
                 "Clearwater", "Foxglove", "Highpoint", "Marlowe", "Beacon Hill", "Driftwood", "Kestrel",
                 "Larkspur", "Summit", "Everline", "Ashford", "Riverbend", "Juniper", "Calloway", "Tamarack")
ACCOUNT_TRADES = ("Health", "Logistics", "Software", "Credit Union", "Outdoor", "Analytics", "Pay", "Insurance",
                  "Manufacturing", "Foods", "Energy", "Labs", "Retail", "Bank", "Systems", "Learning", "Freight")
# Buyer titles with weights: roughly what a marketing-attribution vendor meets, across every persona.
BUYER_TITLES = (("VP Marketing", 6), ("VP of Demand Generation", 4), ("CMO", 2), ("Head of Growth", 2),
                ("CFO", 4), ("VP Finance", 3), ("Director of FP&A", 2), ("Director of Revenue Operations", 4),
                ("RevOps Manager", 3), ("Marketing Operations Manager", 2), ("IT Director", 3),
                ("Head of Security", 2), ("CISO", 1), ("Founder & CEO", 2), ("VP Sales", 3), ("CRO", 1),
                ("VP Customer Success", 2), ("Head of Procurement", 2), ("COO", 1))
STAGES = ("discovery", "discovery", "demo", "demo", "technical deep dive", "pricing", "security review",
          "negotiation", "follow-up", "pilot review", "renewal check-in", "executive alignment")
OUTCOMES = (("open", 6), ("won", 2), ("lost", 2))
COMPETITORS = ("Tracepoint", "Signalgrid", "Funnelwise", "Attribly", "Beaconly", "Pathmetric", "Ledgerlight")
# People the sample transcripts talk about who never speak in them.
MENTIONED_PEOPLE = ("Jess", "Jonah", "Asha", "Danielle", "Sophia", "Kevin", "Maia", "Mark", "Halvorsen")
OTHER_COMPANIES = ("Northbay Pay", "Brackenridge", "Freightline", "Wayfield", "Brightline", "Ridgeline",
                   "Summit Outfitters", "Halcyon Foods", "Marlin Travel", "Corvid Security", "Alder Health")
# Tools the sample names, each swapped for a peer per call: a CRM stays a CRM, an identity provider an IdP.
TOOL_PEERS = {
    "Salesforce": ("Salesforce", "Salesforce", "HubSpot", "Dynamics", "Pipedrive"),
    "HubSpot": ("HubSpot", "HubSpot", "Marketo", "Pardot", "Salesforce"),
    "Okta": ("Okta", "Okta", "Azure AD", "OneLogin", "Ping"),
    "Tableau": ("Tableau", "Looker", "Power BI"),
    "NetSuite": ("NetSuite", "Sage Intacct", "QuickBooks"),
    "Slack": ("Slack", "Teams"),
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")

# Phrasings that say the same thing; each occurrence is swapped with some probability.
PHRASINGS: tuple[tuple[str, ...], ...] = (
    ("a lot of", "lots of", "a ton of", "plenty of"),
    ("honestly", "frankly", "truly"),
    ("basically", "essentially"),
    ("maybe", "perhaps", "possibly"),
    ("right now", "at the moment", "currently", "these days"),
    ("spreadsheet", "sheet", "workbook"),
    ("spreadsheets", "sheets", "workbooks"),
    ("dashboard", "report", "view"),
    ("dashboards", "reports", "views"),
    ("problem", "issue"),
    ("problems", "issues"),
    ("big", "huge", "major"),
    ("quickly", "fast"),
    ("customers", "clients"),
    ("tool", "platform", "product"),
    ("tools", "platforms", "products"),
    ("vendor", "provider", "supplier"),
    ("vendors", "providers", "suppliers"),
    ("contract", "agreement"),
    ("kind of", "sort of"),
    ("a little bit", "a bit"),
    ("definitely", "absolutely", "certainly"),
    ("obviously", "clearly"),
    ("probably", "likely"),
    ("sales team", "sales org", "sales reps"),
    ("marketing team", "marketing org", "demand gen team"),
    ("finance team", "FP&A team", "finance folks"),
    ("next week", "later this week", "early next week"),
    ("okay", "ok", "alright"),
    ("yeah", "yep", "yes"),
    ("every week", "each week", "week after week"),
    ("figure out", "work out", "sort out"),
    ("make sure", "make sure", "ensure"),
    ("worried", "concerned", "nervous"),
    ("I'm", "I am"), ("we're", "we are"), ("they're", "they are"), ("you're", "you are"),
    ("don't", "do not"), ("doesn't", "does not"), ("can't", "cannot"), ("isn't", "is not"),
    ("aren't", "are not"), ("wasn't", "was not"), ("didn't", "did not"), ("won't", "will not"),
    ("I'll", "I will"), ("we'll", "we will"), ("going to", "gonna"), ("it is", "it's"), ("that is", "that's"),
    ("there is", "there's"), ("I've", "I have"), ("we've", "we have"), ("you've", "you have"),
    ("do not", "don't"), ("I am", "I'm"), ("we are", "we're"), ("cannot", "can't"), ("will not", "won't"),
    ("very", "really", "super"),
    ("a couple of", "a few", "two or three"),
    ("at the end of the day", "ultimately", "in the end"),
    ("people", "people", "folks"),
    ("guys", "folks"),
    ("we need", "we need", "we have to", "we've got to"),
    ("the thing is", "the point is", "the issue is"),
    ("every single", "every"),
    ("I'm not sure", "I don't know", "I'm not convinced"),
    ("makes sense", "is fair", "tracks"),
    ("to be honest", "honestly", "truthfully"),
    ("exactly", "precisely"),
    ("roughly", "about", "around", "approximately"),
    ("pretty much", "basically", "more or less"),
    ("a while", "some time", "a bit"),
    ("right away", "immediately", "straight away"),
    ("last year", "last year", "in the last year"),
    ("all the time", "constantly", "every day"),
)
# Contracted forms whose expansion would be wrong before these words ("it's been" is "it has been").
_NOT_EXPANDED = re.compile(r"(?:it's|that's|there's) (?:been|got|gotten)\b", re.I)
# A discourse opener is an interjection, a connective or both ("Yeah, so", "Um, honestly,", "Look,").
OPENER_INTERJECTIONS = ("Yeah", "Okay", "Right", "Well", "Look", "Um", "Uh", "Mm", "Sure", "Alright", "See", "Now",
                        "Yeah, no", "Oh", "Hm", "So yeah")
OPENER_CONNECTIVES = ("so", "and", "but", "honestly", "I mean", "you know", "basically", "frankly", "the thing is",
                      "to be fair", "I'll be honest", "I guess", "like", "actually", "here's the thing", "look",
                      "in fairness", "truthfully", "for me", "realistically", "again", "at this point")
# Clauses that take a statement after them ("I think our reporting is held together with duct tape.").
OPENER_EMBEDDINGS = ("I think", "I feel like", "I'd say", "my sense is", "the truth is", "I suspect", "the reality is",
                     "I guess", "I'm pretty sure", "my feeling is", "I'd argue", "what I'd say is", "I believe")
SWAPPABLE_INTERJECTIONS = ("Okay", "Yeah", "Right", "Sure", "Alright", "Mm", "Oh", "Yep", "Okay, okay", "Yeah, yeah",
                           "Right, right", "Got it", "Sure, sure", "Totally", "Fair", "Hm")
_LEADING_INTERJECTION = re.compile(r"(Okay|Yeah|Right|Sure|Alright|Mm|Oh|Yep|Ok|Totally|Fair|Hm)(?=, )")
_NO_COMMA_AFTER = {"so", "and", "but", "like", *OPENER_EMBEDDINGS}
_STATEMENT_START = re.compile(r"(?:I|we|our|it|it's|that|that's|the|they|they're|there|there's|this|my|you|your|"
                              r"he|she|everyone|everybody|nobody|most|some|half|every)\b", re.I)
TAGS = (", you know.", ", right?", ", honestly.", ", if that makes sense.", ", basically.", ", I think.",
        ", at least for us.", ", to be honest.", ", for what it's worth.", ", more or less.", ", I guess.",
        ", in my experience.", ", if I'm honest.", ", you know what I mean?", ", so.", ", really.", ", anyway.",
        ", as far as I can tell.", ", I'd say.", ", for sure.", ", if you ask me.", ", in practice.", " too.",
        ", at the moment.", ", you know?", ", right.")
ADVERBS = ("really", "actually", "just", "basically", "definitely", "honestly", "literally", "genuinely",
           "probably", "kind of", "sort of", "still", "also")
# "I think" -> "I really think"; never inside fixed phrases ("you know", "I mean") or before a function word.
_ADVERB_SPOT = re.compile(r"(I|we|they|you|he|she|We|They|You|He|She) (?!(?:know|mean|guys|all|and|or|to|two|the|a|"
                          r"an|so|in|on|at|for|with|both|too|as|if|that|this|it|not|never|always|really|actually|"
                          r"just|also|still|can|could|said|mentioned|see|guess)\b)(?=[a-z]+\b)")
# Only open questions take these ("What does the spend look like, roughly?"); "Can you hear me?" takes none.
QUESTION_TAGS = (", in practice?", ", do you think?", ", would you say?", ", roughly?", ", typically?",
                 ", on your side?", ", if you had to guess?", ", these days?", ", day to day?")
_OPEN_QUESTION = re.compile(r"(?:(?:so|and|but|okay|ok|right),? )?(?:what|how|who|which|where|when|why)\b", re.I)
SHORT_TAGS = (", honestly.", ", I think.", ", basically.", ", I guess.", ", you know.", ", really.", " though.")
FILLERS = ("um", "uh", "um", "uh", "like", "you know", "I mean")
BACKCHANNELS = ("Yeah.", "Mm-hmm.", "Right.", "Okay.", "Got it.", "Sure.", "Yeah, yeah.", "Uh-huh.", "Makes sense.",
                "Totally.", "Right, right.", "Yep.", "Sure, sure.", "Mm.", "Okay, got it.", "Yeah, that makes sense.",
                "Interesting.", "Fair enough.", "Yeah, totally.", "Oh, okay.")
_START_WORDS = re.compile(r"^(?:so|and|but|yeah|yep|okay|ok|right|well|look|honestly|um|uh|mm|i mean|sure|now|"
                          r"you know|see|basically|frankly|alright|oh|hey|hi|hello|no)\b", re.I)
_SENTENCE_SPLIT = re.compile(r"(?:(?<=[.?!…])|(?<=[.?!…][\"”’)]))\s+(?=[\"“(]?[A-Z0-9])")
# Disfluencies go where speakers make them: before a function word ("did you catch, uh, the game"), or as a
# repeated short word ("we we", "the the").
_FILLER_BEFORE = {"the", "a", "an", "this", "that", "we", "I", "it", "our", "my", "your", "to", "and", "but",
                  "because", "if", "when", "what", "how", "they", "it's", "we're", "there's", "just", "maybe"}
_REPEATABLE = {"I", "we", "the", "a", "to", "it", "that", "and", "so", "my", "our", "it's", "is", "in", "of"}

# Spelled numbers: "forty-four thousand dollars", "five percent", "two hundred hours"; bare "one" is left alone.
_SMALL = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
          "seventeen eighteen nineteen").split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_UNITS_ALT = "|".join(_SMALL[1:10])
_NUMBER_WORD = rf"(?:(?:{'|'.join(_TENS)})(?:-(?:{_UNITS_ALT}))?|{'|'.join(sorted(_SMALL, key=len, reverse=True))})"
_SPELLED = re.compile(rf"\b{_NUMBER_WORD}(?:[ -](?:{_NUMBER_WORD}|hundred|thousand|million|point))*\b", re.I)
_DIGITS = re.compile(r"(?<!SOC )(?<!Type )(?<![\w.$])(\$?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(k|K|%)?(?![\w])")


# --- source material -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SourceTurn:
    side: str                     # rep | buyer
    speaker: str                  # the source speaker's label, to keep two buyers apart
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class SourceCall:
    name: str
    weight: float                 # podcasts and interviews are drawn less often than sales calls
    turns: tuple[SourceTurn, ...]
    people: dict                  # name or first name said in the text -> (side, source speaker label)
    own_company: tuple[str, ...]  # the buyer company's names as the text says them, longest first


@dataclass(frozen=True)
class Pool:
    calls: tuple[SourceCall, ...]
    people: tuple[str, ...]       # every source person name (full, first, last), longest first
    companies: tuple[str, ...]    # every source company name, longest first


def _split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_SPLIT.split(text) if s.strip()]


@lru_cache(maxsize=1)
def source_pool() -> Pool:
    """The sample transcripts' turns with a known side, parsed by the project's own parser."""
    from insights.parse import iter_transcript_files, load_transcript

    truth: dict = {}
    for path in TRUTH_FILES:
        if path.exists():
            truth.update(json.loads(path.read_text(encoding="utf-8")))
    calls: list[SourceCall] = []
    all_people: set[str] = set(MENTIONED_PEOPLE)
    all_companies: set[str] = set(OTHER_COMPANIES) | {"Tracepoint"}
    for path in iter_transcript_files([SAMPLE_DIR]):
        t = load_transcript(path)
        known = truth.get(path.name, {}).get("speakers", {})
        side_of: dict[str, str] = {}
        people: dict[str, tuple[str, str]] = {}
        own: set[str] = set()
        for s in t.speakers:
            info = known.get(s.label, {})
            role = s.role or info.get("role")
            if role in SIDE_OF_ROLE:
                side_of[s.label] = SIDE_OF_ROLE[role]
            name = info.get("name") or s.name
            if name and role in SIDE_OF_ROLE and not name.startswith("Inter"):
                for part in (name, name.split()[0]):
                    people[part] = (SIDE_OF_ROLE[role], s.label)
                    all_people.add(part)
                if len(name.split()) > 1:
                    all_people.add(name.split()[-1])
            company = info.get("company") or s.company
            if company and company != VENDOR:
                all_companies.add(company)
                if SIDE_OF_ROLE.get(role or "") == "buyer":
                    own.update({company, company.split()[0]})
        if t.metadata.get("account"):
            own.update({t.metadata["account"], t.metadata["account"].split()[0]})
        turns = []
        for u in t.utterances:
            side = side_of.get(u.speaker or "")
            sentences = tuple(s for s in _split_sentences(u.text) if not _PODCAST_TALK.search(s))
            if side and sentences:
                turns.append(SourceTurn(side, u.speaker or "", sentences))
        if len(turns) >= 10:
            weight = 1.0 if t.kind == "sales_call" else 0.4
            calls.append(SourceCall(path.name, weight, tuple(turns), people,
                                    tuple(sorted(own, key=lambda x: (-len(x), x)))))
    all_companies |= {c.split()[0] for c in all_companies}
    all_companies.discard("The")
    return Pool(tuple(calls), tuple(sorted(all_people, key=lambda x: (-len(x), x))),
                tuple(sorted(all_companies, key=lambda x: (-len(x), x))))


_PODCAST_TALK = re.compile(r"\b(podcast|episode|listeners?|subscribe|the show|this show|our show)\b", re.I)


# --- the people and accounts of the generated calls ------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    name: str
    title: str
    company: str


@dataclass(frozen=True)
class Account:
    name: str
    owner: str                    # the rep who owns the account
    contacts: tuple[Person, ...]


@lru_cache(maxsize=8)
def account_book(seed: int, size: int = 300) -> tuple[Account, ...]:
    """Accounts with their buyers and owning rep, fixed by the seed, so several calls can meet the same people."""
    rng = random.Random(f"insights-bench-accounts:{seed}")
    titles = [t for t, _ in BUYER_TITLES]
    weights = [w for _, w in BUYER_TITLES]
    names = [f"{s} {t}" for s in ACCOUNT_STEMS for t in ACCOUNT_TRADES]
    rng.shuffle(names)
    book = []
    for name in names[:size]:
        contacts = []
        taken: list[str] = []
        for _ in range(rng.randint(2, 4)):
            person = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            while person in taken:
                person = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            taken.append(person)
            contacts.append(Person(person, rng.choices(titles, weights)[0], name))
        book.append(Account(name, rng.choice(REP_TEAM), tuple(contacts)))
    return tuple(book)


# --- text variation ----------------------------------------------------------------------------------------------

class Rewriter:
    """Everything one call substitutes and varies, drawn from the call's own random generator."""

    def __init__(self, rng: random.Random, pool: Pool, account: str, rep: str, buyers: list[str]):
        self.rng = rng
        self.pool = pool
        self.account = account
        self.rep = rep
        self.buyers = buyers
        self.third: dict[str, str] = {}        # source third-party name -> this call's name
        self.companies: dict[str, str] = {}    # source company (not the account) -> this call's
        self.tools = {tool: rng.choice(peers) for tool, peers in TOOL_PEERS.items()}
        self.competitor = rng.choice(COMPETITORS)
        taken = {rep, *buyers}
        self._free_names = [f"{f} {l}" for f in FIRST_NAMES for l in LAST_NAMES[:8]]
        rng.shuffle(self._free_names)
        self._free_names = [n for n in self._free_names[:60] if n not in taken and n.split()[0]
                            not in {p.split()[0] for p in taken}]
        self.people_re = re.compile(r"\b(" + "|".join(map(re.escape, pool.people)) + r")\b")
        self.company_re = re.compile(r"\b(" + "|".join(map(re.escape, pool.companies)) + r")\b")
        tools = sorted(TOOL_PEERS, key=len, reverse=True)
        self.tool_re = re.compile(r"\b(" + "|".join(tools) + r")\b")
        # A contraction needs a word after it: "it is." cannot become "it's."
        self.phrasings = [(re.compile(rf"\b{re.escape(p[0])}\b" + (r"(?= [\w\"“])" if any(
            re.search(r"'(?:s|re|m|ve|ll)$", o) for o in p) else ""), re.I), p) for p in PHRASINGS]
        names = [*pool.people, *pool.companies, *REP_TEAM, *FIRST_NAMES, *LAST_NAMES, *ACCOUNT_STEMS,
                 *COMPETITORS, *OTHER_COMPANIES, *WEEKDAYS, *MONTHS, *(p for v in TOOL_PEERS.values() for p in v)]
        self.proper = {w for n in names for w in n.split()} - {"The", "Room", "Pay", "Health"}

    # entities ---------------------------------------------------------------------------------------------------

    def entities(self, text: str, source: SourceCall, speakers: dict[str, str]) -> str:
        """People, companies and tools of the source call become this call's."""
        def person(m: re.Match) -> str:
            said = m.group(1)
            if said in source.people and source.people[said][1] in speakers:
                target = speakers[source.people[said][1]]
                return target if " " in said else target.split()[0]
            key = said.split()[0]
            if key not in self.third:
                self.third[key] = self._free_names[len(self.third) % len(self._free_names)]
            full = self.third[key]
            return full if " " in said else full.split()[0]

        def company(m: re.Match) -> str:
            said = m.group(1)
            if said in source.own_company:
                return self.account if " " in said else self.account.split()[0]
            if said == "Tracepoint":
                return self.competitor
            if said not in self.companies:
                self.companies[said] = self.rng.choice(OTHER_COMPANIES)
            return self.companies[said] if " " in said else self.companies[said].split()[0]

        text = self.company_re.sub(company, text)
        text = self.people_re.sub(person, text)
        return self.tool_re.sub(lambda m: self.tools[m.group(1)], text)

    # numbers and dates ------------------------------------------------------------------------------------------

    def numbers(self, text: str) -> str:
        rng = self.rng

        def spelled(m: re.Match) -> str:
            said = m.group(0)
            low = said.lower()
            if rng.random() < 0.3 or low in {"one", "zero"} or low.endswith((" point", "-")):
                return said
            if "million" in low:
                out = f"{spell(rng.randint(1, 9))} point {spell(rng.randint(1, 9))} million" \
                    if rng.random() < 0.5 else f"{spell(rng.randint(2, 30))} million"
            elif "thousand" in low:
                out = f"{spell(rng.choice([rng.randint(2, 20), rng.randint(2, 99), rng.randint(1, 9) * 50]))} thousand"
            elif "hundred" in low:
                out = f"{spell(rng.randint(1, 9))} hundred"
            else:
                value = words_to_int(low)
                if value is None or value <= 3:          # "two things", "one, two, three" are enumerations
                    return said
                out = spell(max(2, value + rng.choice([-3, -2, -1, 1, 2, 3, 5])))
            return out[0].upper() + out[1:] if said[0].isupper() else out

        def digits(m: re.Match) -> str:
            dollar, whole, frac, suffix = m.group(1), m.group(2), m.group(3), m.group(4) or ""
            raw = int(whole.replace(",", ""))
            if rng.random() < 0.3 or (1900 <= raw <= 2100 and not dollar and not suffix and not frac):
                return m.group(0)
            new = max(1, round(raw * rng.uniform(0.6, 1.6))) if raw > 3 else rng.randint(2, 9)
            body = f"{new:,}" if "," in whole else str(new)
            if frac is not None:
                body += "." + "".join(str(rng.randint(0, 9)) for _ in frac)
            return f"{dollar}{body}{suffix}"

        text = _SPELLED.sub(spelled, text)
        text = _DIGITS.sub(digits, text)
        text = re.sub(r"\b(" + "|".join(WEEKDAYS) + r")\b",
                      lambda m: rng.choice(WEEKDAYS) if rng.random() < 0.5 else m.group(1), text)
        return re.sub(r"\b(January|February|March|September|October|November|December)\b",
                      lambda m: rng.choice(MONTHS) if rng.random() < 0.4 else m.group(1), text)

    # speech edits -----------------------------------------------------------------------------------------------

    def sentence(self, s: str) -> str:
        """One sentence with its phrasings swapped and speech edits; longer sentences always get at least one."""
        rng = self.rng
        out = self.phrase_swaps(s)
        words = out.split()
        if len(words) < 4:
            # Short answers ("Nobody owned it.") repeat across calls; most get a word of their own, but the
            # back-channels ("Okay.", "Right, right.") stay as people say them.
            if len(words) >= 2 and out == s and not _START_WORDS.match(out) and rng.random() < 0.7:
                out = self.opener(out) if rng.random() < 0.6 else out[:-1] + rng.choice(SHORT_TAGS) \
                    if out[-1] == "." else self.opener(out)
            return out
        # A source sentence recurs a few hundred times in a 500-call corpus, so each must have thousands of
        # variants: longer sentences get two edits most of the time, drawn from families with many options.
        wanted = rng.choices((1, 2), (0.4, 0.6))[0] if len(words) < 7 else rng.choices((1, 2, 3), (0.15, 0.7, 0.15))[0]
        kinds = [self.opener, self.adverb, self.filler, self.tag, self.repeat, self.drop_clause]
        weights = [4, 3, 2.5, 2, 0.6, 0.4]
        made = 0
        while made < wanted and kinds:
            i = rng.choices(range(len(kinds)), weights)[0]
            edit = kinds.pop(i)
            weights.pop(i)
            changed = edit(out)
            if changed != out:
                out, made = changed, made + 1
        return out

    def adverb(self, s: str) -> str:
        spots = list(_ADVERB_SPOT.finditer(s))
        if not spots:
            return s
        m = self.rng.choice(spots)
        return f"{s[:m.end()]}{self.rng.choice(ADVERBS)} {s[m.end():]}"

    def phrase_swaps(self, s: str) -> str:
        rng = self.rng
        low = s.lower()
        for pattern, options in self.phrasings:
            if options[0].lower() not in low or (options[0].endswith("'s") and _NOT_EXPANDED.search(s)):
                continue
            if pattern.search(s):
                s = pattern.sub(lambda m: _same_case(m.group(0), rng.choice(options))
                                if rng.random() < 0.4 else m.group(0), s)
        return s

    def opener(self, s: str) -> str:
        rng = self.rng
        m = _LEADING_INTERJECTION.match(s)
        if m:                                  # "Okay, and what happens..." -> "Right, and what happens..."
            other = rng.choice([w for w in SWAPPABLE_INTERJECTIONS if w != m.group(1)])
            return other + s[m.end(1):]
        starts_with_one = bool(_START_WORDS.match(s))
        if starts_with_one and re.match(r"(?:So|And|But|Now|Well)\b", s) is None:
            return s                           # "Yeah, okay." takes no second opener
        interjection = rng.choice(OPENER_INTERJECTIONS) if starts_with_one or rng.random() < 0.75 else None
        connectives = OPENER_CONNECTIVES + OPENER_EMBEDDINGS if s.endswith(".") and _STATEMENT_START.match(s) \
            else OPENER_CONNECTIVES
        connective = None if starts_with_one else \
            rng.choice(connectives) if interjection is None or rng.random() < 0.7 else None
        parts = [x for x in (interjection, connective) if x]
        if len(parts) == 2 and parts[0].casefold() == parts[1].casefold():
            parts = parts[:1]
        head = ", ".join(parts)
        head = head[0].upper() + head[1:]
        return head + (" " if parts[-1] in _NO_COMMA_AFTER else ", ") + self.lower_first(s)

    def lower_first(self, s: str) -> str:
        """The sentence as it reads after an opener or a comma: lower case unless it starts with a name or 'I'."""
        first = s.split()[0].strip(",.?!\"“")
        keep_case = first in self.proper or first.startswith("I") and (len(first) == 1 or first[1] == "'") \
            or first.isupper()
        return s if keep_case else s[0].lower() + s[1:]

    def tag(self, s: str) -> str:
        if s.endswith("?"):
            if len(s.split()) >= 6 and _OPEN_QUESTION.match(s) and s[-2].isalnum():
                return s[:-1] + self.rng.choice(QUESTION_TAGS)
            return s
        if not s.endswith(".") or s.endswith("..") or len(s.split()) < 6:
            return s
        return s[:-1] + self.rng.choice(TAGS)

    def filler(self, s: str) -> str:
        words = s.split(" ")
        spots = [i for i in range(1, len(words) - 1) if words[i - 1][-1] not in ".?!:;—-\"”" and
                 (words[i] in _FILLER_BEFORE or words[i - 1].endswith(","))]
        if not spots:
            return s
        pos = self.rng.choice(spots)
        before = words[pos - 1]
        word = self.rng.choice(FILLERS)
        if before.endswith(","):
            words.insert(pos, word + ",")
        else:
            words[pos - 1] = before + ","
            words.insert(pos, word + ",")
        return " ".join(words)

    def repeat(self, s: str) -> str:
        words = s.split(" ")
        spots = [i for i, w in enumerate(words[:-1]) if w in _REPEATABLE and i > 0]
        if not spots:
            return s
        i = self.rng.choice(spots)
        words.insert(i, words[i])
        return " ".join(words)

    def drop_clause(self, s: str) -> str:
        head, sep, tail = s.rpartition(", ")
        if not sep or len(head.split()) < 5 or len(tail.split()) < 3 or s[-1] not in ".?!":
            return s
        return head + s[-1]


def _same_case(said: str, new: str) -> str:
    if said[0].isupper() and not new[0].isupper():
        return new[0].upper() + new[1:]
    if said[0].islower() and new[0].isupper() and not new.startswith(("I ", "I'", "FP")):
        return new[0].lower() + new[1:]
    return new


def spell(n: int) -> str:
    """An integer below a million in words, as a transcriber writes it: 'forty-four', 'two hundred and five'."""
    if n < 20:
        return _SMALL[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return _TENS[tens - 2] + (f"-{_SMALL[unit]}" if unit else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_SMALL[hundreds]} hundred" + (f" and {spell(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    return f"{spell(thousands)} thousand" + (f" {spell(rest)}" if rest else "")


def words_to_int(text: str) -> int | None:
    """'forty-four' -> 44, 'twelve' -> 12; None for anything with a scale word or that does not read as a number."""
    total = 0
    for part in text.replace("-", " ").split():
        if part in _SMALL:
            total += _SMALL.index(part)
        elif part in _TENS:
            total += (_TENS.index(part) + 2) * 10
        else:
            return None
    return total


# --- one call ----------------------------------------------------------------------------------------------------

@dataclass
class Turn:
    speaker: str                  # the person's full name
    text: str
    start: float = 0.0
    end: float = 0.0


@dataclass
class Call:
    index: int
    date: str
    account: Account
    stage: str
    outcome: str
    rep: Person
    buyers: list[Person]
    fmt: str
    detail: str                   # full | roles | none: how much the sidecar says about participants
    turns: list[Turn] = field(default_factory=list)
    clock: int = 0                # seconds after midnight the call started (Zoom headers show wall clock)

    @property
    def stem(self) -> str:
        return f"{self.date}_call{self.index:04d}"


FORMAT_WEIGHTS = (("zoom", 55), ("vtt", 15), ("deepgram", 9), ("assemblyai", 9), ("generic", 12))
EXTENSIONS = {"zoom": "txt", "generic": "txt", "vtt": "vtt", "deepgram": "json", "assemblyai": "json"}


def call_date(start: date, index: int, rng: random.Random) -> str:
    """About CALLS_PER_WEEK calls a week, on weekdays, week by week from the start date's week."""
    monday = start - timedelta(days=start.weekday())
    return (monday + timedelta(weeks=index // CALLS_PER_WEEK, days=rng.randrange(5))).isoformat()


def build_call(index: int, seed: int, start: date, words_per_call: tuple[int, int]) -> Call:
    rng = random.Random(seed + index)
    pool = source_pool()
    account = rng.choice(account_book(seed))
    rep_name = account.owner if rng.random() < 0.85 else rng.choice(REP_TEAM)
    rep = Person(rep_name, rng.choice(REP_TITLES), VENDOR)
    n_buyers = 2 if rng.random() < 0.35 and len(account.contacts) >= 2 else 1
    buyers = rng.sample(list(account.contacts), n_buyers)
    fmt = rng.choices([f for f, _ in FORMAT_WEIGHTS], [w for _, w in FORMAT_WEIGHTS])[0]
    detail = "none" if fmt == "generic" and rng.random() < 0.5 else \
        "roles" if fmt == "generic" else rng.choices(["full", "roles", "none"], [85, 8, 7])[0]
    call = Call(index, call_date(start, index, rng), account, rng.choice(STAGES),
                rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0], rep, buyers, fmt, detail,
                clock=rng.choice(range(8 * 3600, 17 * 3600, 900)))
    rewriter = Rewriter(rng, pool, account.name, rep.name, [b.name for b in buyers])
    target = rng.randint(*words_per_call)
    sales_calls = [c for c in pool.calls if c.weight == 1.0]
    words = 0
    first = True
    while words < target - CLOSING_WORDS:
        source = rng.choices(pool.calls, [c.weight for c in pool.calls])[0]
        if first:                                       # calls open with greetings and small talk
            source = rng.choice(sales_calls)
        length = rng.randint(6, 18)
        start_at = 0 if first else rng.randint(min(5, len(source.turns) - 1), max(5, len(source.turns) - length))
        first = False
        for turn in _voice_block(source.turns[start_at:start_at + length], source, call, rewriter, rng):
            if words >= target - CLOSING_WORDS:
                break
            call.turns.append(turn)
            words += len(turn.text.split())
    source = rng.choice(sales_calls)                    # and close with next steps and goodbyes
    closing = source.turns[-rng.randint(4, 8):]
    call.turns += _voice_block(closing, source, call, rewriter, rng)
    _time(call, rng)
    return call


def _voice_block(block, source: SourceCall, call: Call, rewriter: Rewriter, rng: random.Random) -> list[Turn]:
    """One run of source turns, spoken by this call's people, varied."""
    buyer_of: dict[str, str] = {}
    order = [b.name for b in call.buyers]
    rng.shuffle(order)
    for t in block:
        if t.side == "buyer" and t.speaker not in buyer_of:
            buyer_of[t.speaker] = order[len(buyer_of) % len(order)]
    # Who a name in the text means: the speakers of the block are this call's people; a source buyer who is
    # silent in the block is this call's other buyer if there is one; everyone else is a colleague or third party.
    speakers = dict(buyer_of)
    lead_rep = next((t.speaker for t in block if t.side == "rep"), None)
    if lead_rep is not None:
        speakers[lead_rep] = call.rep.name
    spare = [b for b in order if b not in buyer_of.values()]
    for side, label in dict.fromkeys(source.people.values()):
        if label not in speakers:
            if side == "buyer" and spare:
                speakers[label] = spare.pop()
            elif side == "rep" and any(t.speaker == label for t in block):
                speakers[label] = call.rep.name
    out: list[Turn] = []
    for n, t in enumerate(block):
        who = call.rep.name if t.side == "rep" else buyer_of[t.speaker]
        sentences = list(t.sentences)
        if len(sentences) >= 3 and rng.random() < 0.1:
            del sentences[rng.randrange(1, len(sentences))]
        if len(sentences) >= 3 and rng.random() < 0.1:
            i = rng.randrange(1, len(sentences) - 1)
            sentences[i], sentences[i + 1] = sentences[i + 1], sentences[i]
        if rng.random() < 0.03:                         # a thought carried over from another conversation
            donor = rng.choice(source_pool().calls)
            other = rng.choice([x for x in donor.turns if x.side == t.side] or [t])
            sentences += list(other.sentences[:2])
        text_sentences = [rewriter.sentence(rewriter.numbers(rewriter.entities(s, source, speakers)))
                          for s in sentences]
        for i in range(len(text_sentences) - 2, -1, -1):     # "Busy. How are you?" -> "Busy, how are you?"
            short = text_sentences[i]
            if len(short.split()) <= 3 and short.endswith(".") and rng.random() < 0.8:
                text_sentences[i:i + 2] = [short[:-1] + ", " + rewriter.lower_first(text_sentences[i + 1])]
        other_side = [b.name for b in call.buyers] if t.side == "rep" else [call.rep.name]
        if len(text_sentences) >= 4 and rng.random() < 0.3:   # the listener cuts in with a back-channel
            cut = rng.randrange(2, len(text_sentences) - 1)
            out.append(Turn(who, " ".join(text_sentences[:cut])))
            out.append(Turn(rng.choice(other_side), rng.choice(BACKCHANNELS)))
            text_sentences = text_sentences[cut:]
        if out and out[-1].speaker == who and rng.random() < 0.5:
            out[-1].text += " " + " ".join(text_sentences)
        else:
            out.append(Turn(who, " ".join(text_sentences)))
        follows_same_side = n + 1 < len(block) and block[n + 1].side == t.side
        if follows_same_side and rng.random() < 0.3:
            out.append(Turn(rng.choice(other_side), rng.choice(BACKCHANNELS)))
    return out


def _time(call: Call, rng: random.Random) -> None:
    """Speech at about 150 words a minute with short pauses between turns."""
    now = rng.uniform(1.0, 6.0)
    rate = {p.name: rng.uniform(2.4, 2.7) for p in [call.rep, *call.buyers]}
    for t in call.turns:
        t.start = now
        t.end = now + max(0.6, len(t.text.split()) / rate[t.speaker])
        now = t.end + rng.uniform(0.1, 0.9)


# --- writers -----------------------------------------------------------------------------------------------------

def _labels(call: Call) -> dict[str, str]:
    people = [call.rep.name] + [b.name for b in call.buyers]
    if call.fmt == "generic":
        order = []
        for t in call.turns:
            if t.speaker not in order:
                order.append(t.speaker)
        order += [p for p in people if p not in order]
        return {p: f"Speaker {i + 1}" for i, p in enumerate(order)}
    if call.fmt == "deepgram":
        return {p: f"Speaker {i}" for i, p in enumerate(people)}
    if call.fmt == "assemblyai":
        return {p: "ABC"[i] for i, p in enumerate(people)}
    return {p: p for p in people}


def _hms(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _vtt_time(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3600000:02d}:{ms % 3600000 // 60000:02d}:{ms % 60000 // 1000:02d}.{ms % 1000:03d}"


def _pieces(turn: Turn, max_words: int = 28) -> list[tuple[str, float, float]]:
    """A turn cut into caption-sized pieces of whole sentences, with times spread by word count."""
    pieces: list[list[str]] = [[]]
    for s in _split_sentences(turn.text):
        if pieces[-1] and len(" ".join(pieces[-1] + [s]).split()) > max_words:
            pieces.append([])
        pieces[-1].append(s)
    total = max(1, len(turn.text.split()))
    out = []
    at = turn.start
    for p in pieces:
        text = " ".join(p)
        span = (turn.end - turn.start) * len(text.split()) / total
        out.append((text, at, at + span))
        at += span
    return out


def render(call: Call) -> str:
    labels = _labels(call)
    if call.fmt in {"zoom", "generic"}:
        return "".join(f"[{labels[t.speaker]}] {_hms(call.clock + t.start)}\n{t.text}\n\n" for t in call.turns)
    if call.fmt == "vtt":
        cues = ["WEBVTT\n"]
        n = 0
        for t in call.turns:
            for text, a, b in _pieces(t):
                n += 1
                cues.append(f"{n}\n{_vtt_time(a)} --> {_vtt_time(b)}\n<v {labels[t.speaker]}>{text}</v>\n")
        return "\n".join(cues)
    rng = random.Random(f"json:{call.stem}")
    if call.fmt == "deepgram":
        utterances = []
        for t in call.turns:
            for text, a, b in _pieces(t, 40):
                utterances.append({"start": round(a, 3), "end": round(b, 3),
                                   "confidence": round(rng.uniform(0.86, 0.99), 4), "channel": 0,
                                   "transcript": text, "speaker": int(labels[t.speaker].split()[1]),
                                   "id": f"{rng.getrandbits(64):016x}"})
        doc = {"metadata": {"request_id": f"{rng.getrandbits(128):032x}", "created": f"{call.date}T18:00:00.000Z",
                            "duration": round(call.turns[-1].end + 1.0, 3), "channels": 1},
               "results": {"channels": [{"alternatives": [{"transcript": " ".join(t.text for t in call.turns),
                                                           "confidence": 0.97}]}],
                           "utterances": utterances}}
        return json.dumps(doc, ensure_ascii=False)
    doc = {"id": f"{rng.getrandbits(128):032x}", "status": "completed", "language_code": "en_us",
           "audio_url": f"https://recordings.example.com/{call.stem}.m4a",
           "text": " ".join(t.text for t in call.turns),
           "utterances": [{"speaker": labels[t.speaker], "text": t.text, "start": int(t.start * 1000),
                           "end": int(t.end * 1000), "confidence": round(rng.uniform(0.86, 0.99), 4)}
                          for t in call.turns],
           "audio_duration": int(call.turns[-1].end + 1)}
    return json.dumps(doc, ensure_ascii=False, indent=2)


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def sidecar(call: Call) -> str:
    lines = ['kind = "sales_call"', f"date = {call.date}",
             f"title = {_toml(f'{call.account.name} — {call.stage}')}", f"account = {_toml(call.account.name)}",
             f"outcome = {_toml(call.outcome)}"]
    if call.detail == "none":
        return "\n".join(lines) + "\n"
    labels = _labels(call)
    for person, role in [(call.rep, "rep"), *[(b, "buyer") for b in call.buyers]]:
        lines += ["", "[[participants]]", f"label = {_toml(labels[person.name])}"]
        if call.fmt != "generic":
            lines.append(f"name = {_toml(person.name)}")
        lines.append(f"role = {_toml(role)}")
        if call.detail == "full":
            lines += [f"title = {_toml(person.title)}", f"company = {_toml(person.company)}"]
    return "\n".join(lines) + "\n"


# --- the corpus ---------------------------------------------------------------------------------------------------

def generate_corpus(out_dir: Path, n_calls: int, *, seed: int = 0, words_per_call: tuple[int, int] = (4500, 7000),
                    start_date: str = "2026-11-02", first_index: int = 0) -> dict:
    """Write ``n_calls`` calls (transcript + ``.meta.toml``) numbered from ``first_index``; return what was written.

    Stats: files (transcripts), words, utterances (turns as written; a caption or JSON parse may join a turn with a
    back-channel-free neighbour of the same speaker), speakers (distinct people), formats, seconds, and
    unique_sentence_share (distinct sentences / sentences, over this batch only).
    """
    began = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = date.fromisoformat(start_date)
    words = utterances = 0
    people: set[str] = set()
    formats: Counter = Counter()
    sentences: Counter = Counter()
    for index in range(first_index, first_index + n_calls):
        call = build_call(index, seed, start, words_per_call)
        (out_dir / f"{call.stem}.{EXTENSIONS[call.fmt]}").write_text(render(call), encoding="utf-8")
        (out_dir / f"{call.stem}.meta.toml").write_text(sidecar(call), encoding="utf-8")
        words += sum(len(t.text.split()) for t in call.turns)
        utterances += len(call.turns)
        people.update(t.speaker for t in call.turns)
        formats[call.fmt] += 1
        for t in call.turns:
            sentences.update(_split_sentences(t.text))
    total = sum(sentences.values())
    return {"files": n_calls, "words": words, "utterances": utterances, "speakers": len(people),
            "formats": dict(sorted(formats.items())), "seconds": round(time.perf_counter() - began, 2),
            "unique_sentence_share": round(len(sentences) / total, 4) if total else 0.0}


def check_corpus(out_dir: Path) -> dict:
    """Parse every generated file with the project's parser: formats, roles, words, distinct-sentence share."""
    from insights.parse import iter_transcript_files, load_transcript

    sentences: Counter = Counter()
    formats: Counter = Counter()
    files = words = utterances = with_roles = with_titles = 0
    minutes: list[float] = []
    for path in iter_transcript_files([out_dir]):
        t = load_transcript(path)
        files += 1
        words += t.words
        utterances += len(t.utterances)
        formats[t.format] += 1
        with_roles += all(s.role for s in t.speakers)
        with_titles += any(s.title for s in t.speakers)
        minutes.append((t.duration or 0) / 60)
        for u in t.utterances:
            sentences.update(_split_sentences(u.text))
    total = sum(sentences.values())
    long = {s: n for s, n in sentences.items() if len(s.split()) >= 5}
    back = sum(n for s, n in sentences.items() if s in BACKCHANNELS)
    return {"files": files, "words": words, "words_per_call": round(words / max(files, 1)),
            "utterances": utterances, "formats": dict(sorted(formats.items())),
            "calls_with_every_role": with_roles, "calls_with_titles": with_titles,
            "minutes": [round(min(minutes), 1), round(max(minutes), 1)] if minutes else [],
            "sentences": total, "unique_sentence_share": round(len(sentences) / max(total, 1), 4),
            "unique_share_5_words_up": round(len(long) / max(sum(long.values()), 1), 4),
            "backchannel_sentence_share": round(back / max(total, 1), 4)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--first-index", type=int, default=0)
    ap.add_argument("--start-date", default="2026-11-02")
    ap.add_argument("--check", action="store_true", help="parse every file afterwards and report")
    args = ap.parse_args(argv)
    stats = generate_corpus(args.out_dir, args.n, seed=args.seed, first_index=args.first_index,
                            start_date=args.start_date)
    print(json.dumps(stats))
    if args.check:
        began = time.perf_counter()
        report = check_corpus(args.out_dir)
        report["parse_seconds"] = round(time.perf_counter() - began, 2)
        print(json.dumps(report))


if __name__ == "__main__":
    main()
