"""Who says a sentence: the speaker a news sentence attributes its claim or quotation to.

`speaker(sentence, before)` reads one sentence and returns its speaker as the sentence writes it, or
None when the sentence attributes nothing (a plain statement by the outlet). Rule based, deterministic,
standard library only. About 0.04 ms a sentence; a pronoun resolved from `before` costs ~0.5 ms.

Patterns (a speech verb is said/says/told/added/announced/warned/stated/wrote/tweeted/noted/argued/...,
see `_VERBS`):
- "X said ...", "X has said ...", "X on Tuesday told reporters ...", "X said in a statement ...";
- "..., X said." and the inverted "..., said X." (also after a quotation: “...,” said Mayor Tom Hadley);
- "X, the city's spokesperson, said" and "said the city's spokesperson, X" (the name wins over the role);
- "according to X", "As X noted, ...", "X released a statement ...", "... was announced by X";
- a bare "he said"/"she said", resolved from `before` (see below).
Not attributions (None): a speech verb in a subordinate clause ("stocks rose after the ministry said"),
a negated one ("X has not confirmed"), a question ("What did X say?"), a passive without "by"
("the plan was announced Monday"), I/we/you/they/it as speaker, scare quotes, a quotation without
attribution (a continued quote).

The returned text (the rule the labelled test set in tests/data/speakers.jsonl follows):
- A name: the maximal run of capitalised words that ends with the speaker's name, as written.
  Capitalised titles and modifiers joined to the name without a comma belong to it ("Mayor Tom Hadley",
  "Defense Minister Brigadier General Mohammad Reza Ashtiani", "GOP Sen. Susan Collins", "Secretary of
  State Antony Blinken", "Russia's Defense Ministry"); lowercase role words do not ("press secretary
  Karine Jean-Pierre" -> "Karine Jean-Pierre", "owner Ted Kubacki" -> "Ted Kubacki"). Name particles
  (de, von, bin, al-) stay, and so do "of/for/and/the" inside an organisation or title ("Department of
  Forestry and Fire Management"; "to" is not handled yet: "Ambassador to Japan Rahm Emmanuel").
  Left out: a leading "The" ("the White House" -> "White House"), a sentence-initial word that would
  be lowercase mid-sentence ("But", "Former", "Historian James H. McClintock"; formal titles such as
  "Mayor", "Police Chief" stay), an appositive after a comma ("Tom Hadley, the mayor," -> "Tom Hadley")
  and a person's post-modifier ("Rep. Peter DeFazio of Oregon" -> "Rep. Peter DeFazio").
- A nameless speaker ("officials said", "the ministry said"): the noun phrase as written from its
  determiner, with an attached place or organisation phrase ("the ministry", "medical leaders in metro
  Atlanta"). Only heads that can speak count (`_SPEAKER_NOUNS`: people, roles, bodies, documents), so
  in "The incentive announced in May ..." nobody speaks.
- A pronoun ("he said", "she added"): resolved from `before`, the article text before the sentence,
  only when it is unambiguous: looking back at most three sentences (a sentence that itself starts with
  the same pronoun does not count), the nearest sentence that names anyone must either attribute its
  content to a named speaker (that speaker is taken) or mention exactly one person whose title does
  not contradict the pronoun's gender. Names inside quotation marks are ignored. The name is returned
  as written at that mention, possessive dropped. Otherwise None.
When a sentence holds several attributions, one next to a quotation mark wins, then an active one
before a passive one, then the first.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["speaker"]

_ABBREV = (
    "Mr|Mrs|Ms|Dr|Sen|Sens|Rep|Reps|Gov|Gen|Gens|Lt|Col|Sgt|Capt|Cmdr|Adm|Maj|St|Jr|Sr|Prof|Rev|Brig"
    "|Hon|Sec|Atty|Pres|Supt|Det|Insp|Fr|Cpl|Pvt|Amb|Inc|Corp|Co|Ltd|Msgr|Gov"
)
_TOKEN = re.compile(
    r"(?:[A-Z]\.){2,}"  # U.S., D.C.
    rf"|(?:{_ABBREV})\.(?=[\s,]|$)"
    r"|[A-Z]\.(?=\s+[A-Z])"  # an initial: James H. McClintock
    r"|[^\W_][\w'’\-.&]*s['’](?=\s)"  # a plural possessive: Farmers'
    r"|[^\W_](?:[\w'’\-.&]*[^\W_])?"  # a word: Jean-Pierre, O'Brien, Uefa.com, Russia's
    r"|[^\w\s]"
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_VERBS = _words(
    "said says say told tells added adds announced announces warned warns stated wrote writes tweeted "
    "explained explains noted notes argued argues claimed claims insisted insists declared confirmed "
    "confirms reported reports replied responded asked continued recalled acknowledged admitted conceded "
    "emphasized emphasised stressed urged predicted cautioned vowed promised alleged denied maintained "
    "countered quipped joked wondered testified concluded observed remarked commented suggested "
    "estimated admits tweets posted revealed disclosed assured complained lamented contended asserted"
    " texted emailed messaged"
)
# Verbs with a non-speech sense ("added $1.8 billion", "declared a state of emergency"): they attribute
# only when a clause, punctuation or a quotation follows.
_WEAK = _words("added adds declared posted responded revealed")
# Verbs that can precede their subject: "..., said Smith." ("told CNN" is an object, not a speaker).
_INVERTING = _words(
    "said says added adds wrote writes explained noted argued continued recalled replied responded stated "
    "declared insisted warned cautioned concluded observed remarked commented tweeted asked reported"
)
# Passives that name their speaker: "was announced by X" (not "was told by X to ...": a listener).
_BY_VERBS = _words(
    "said announced reported confirmed stated declared revealed disclosed posted written"
)
_STATEMENT_VERBS = _words("released issued published posted")
_STATEMENT_NOUNS = _words("statement report letter release video message memo")
_BE = _words("is was were are be been being")
_SKIP = _words(
    "has have had will would could may might must should can also previously later earlier reportedly "
    "then again recently once initially first repeatedly publicly privately separately further even "
    "already often frequently similarly subsequently ultimately simply just only still now quickly "
    "finally last this week month year night morning afternoon evening today tonight yesterday on late "
    "early"
)
_NEG = _words("not never no yet")
_SUBORD = _words(
    "after when because since while before until although though if unless whether which who whom whose "
    "where once than lest whenever why how what"
)
_QUESTION = _words("did does do")
_QUESTION_WORDS = _words(
    "what why how when where who whom which did does do has have is was will would can"
)
_OTHER_PRONOUNS = _words("i we you they it who this that these those one someone")
_DETS = _words(
    "the a an this that these those his her their its our my your some many several both other two three "
    "four five six seven eight nine ten another each every all most"
)
_CONJ = _words("and but or nor yet so")
_CLAUSE_ADVERBS = _words(
    "then also meanwhile still however now later earlier today yesterday instead indeed finally "
    "additionally separately similarly moreover furthermore likewise overall"
)
_PREPS = _words("of for at from in with near outside across inside to")
_PARTICLES = _words(
    "de da di du del della van von der den ter ten bin ibn bint la le dos das al el"
)
_ORG = _words(
    "department ministry minister secretary bureau center centre centers centres institute university "
    "office bank council board association federation union court chamber league agency administration "
    "commission committee society academy college school foundation fund organization organisation corps "
    "chiefs chief service services house party authority director attorney general state states republic "
    "kingdom museum hospital clinic church company group command forces force army navy commissioner "
    "chair chairman president speaker governor alliance coalition project network program programme trust "
    "division unit institutes"
)
_START_STOP = _words(
    "but and so yet or nor then also meanwhile still however now later earlier today yesterday former "
    "late when after before while as if in on at for from with by during since because although though "
    "even only just both many some several most other another all one this that these those what why how "
    "where who there here it its his her their our my your a an the according speaking asked said instead "
    "indeed finally first second third last next separately similarly additionally further furthermore "
    "moreover likewise overall elsewhere among to not no he she they we i you"
)
_TIME = _words(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december jan feb mar apr jun jul aug sep sept oct nov dec"
)
_SPEAKER_NOUNS = _words(
    "official officials spokesperson spokesman spokeswoman spokespeople spokesmen representative "
    "representatives police authorities officer officers expert experts analyst analysts researcher "
    "researchers scientist scientists economist economists critic critics witness witnesses resident "
    "residents prosecutor prosecutors investigator investigators doctor doctors physician physicians source "
    "sources observer observers lawmaker lawmakers legislator legislators organizer organizers organiser "
    "organisers leader leaders member members minister ministers ministry department agency government "
    "administration company companies firm group organization organisation statement release report letter "
    "filing complaint memo study survey website post tweet announcement notice document documents analysis "
    "data figures statistics records poll governor mayor president senator senators lawyer lawyers attorney "
    "attorneys judge judges court board council committee commission family friends friend relatives "
    "neighbors neighbours parents parent students student teachers teacher workers employees staff "
    "executives executive ceo chief director manager owner coach league team club show network station "
    "newspaper outlet magazine service office military army campaign party union supporters opponents "
    "activists advocates protesters victim victims survivors aide aides adviser advisers advisor advisors "
    "diplomat diplomats envoy ambassador retailer airline bank hospital university school district city "
    "county state pastor priest sheriff coroner chairman chair chairwoman secretary commissioner "
    "superintendent principal professor historian author writer reporter reporters journalist journalists "
    "editor host insiders partner partners tribe regulators regulator inspectors industry automaker "
    "manufacturer developer operator provider insurer watchdog panel jury defense defence brand producer "
    "producers publisher label studio guidance order ruling indictment lawsuit affidavit transcript paper "
    "media press people man woman men women voters fans citizens countries country nation nations "
    "governments consumers customers users players player athletes father mother son daughter wife husband "
    "brother sister uncle aunt grandmother grandfather cousin widow boyfriend girlfriend sponsor dispatcher "
    "estimates projections tally count research findings numbers reports polls surveys studies filings "
    "drugmakers drugmaker automakers airlines companies banks schools hospitals universities colleges "
    "scientists' candidate candidates nominee challenger incumbent opposition rebels militants troops "
    "soldiers soldier commander commanders generals officers' sheriff's spokesperson's observers' "
    "obituary biography memoir book article editorial column essay op-ed blog podcast interview update "
    "diocese archdiocese church churches coalition electrician nurse nurses farmer farmers owners "
    "recording head person user departments agencies pundit commentator"
)
_PLACE_FIRST = _words(
    "new san santa los las north south east west saint st fort port lake mount hong sri costa puerto rio "
    "united great upper lower central northern southern eastern western el la le"
)
_PLACE_LAST = _words(
    "city county beach island islands valley springs park bay river mountain mountains coast heights falls "
    "harbor lakes republic kingdom states street avenue road square center centre hall airport station "
    "bridge stadium arena province region district capitol village town"
)
_MALE = _words("mr he sir king prince duke father brother son husband")
_FEMALE = _words("mrs ms miss she queen princess duchess lady mother sister daughter wife")
_PERSON_TITLES = _words(
    "mr mrs ms dr sen rep gov gen president mayor senator judge justice prof rev pope prince princess king "
    "queen sir lady chancellor minister secretary sheriff coroner superintendent principal auditor coach captain lt col sgt ambassador "
    "speaker chairman chairwoman commissioner director governor premier senator representative "
    "congressman congresswoman councilman councilwoman alderman detective sergeant general lieutenant "
    "colonel major admiral ceo leader spokesman spokeswoman secretary-general treasurer"
)
_OPENERS = frozenset("“‘")
_CLOSERS = frozenset("”’")
_QUOTED = re.compile(r"“[^”]*(?:”|$)|\"[^\"]*(?:\"|$)")
_ABBREVIATION_END = re.compile(rf"(?:^|[\s(])(?:[A-Z]\.)+$|^(?:{_ABBREV})\.$")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[\"“‘(]?[A-Z])|\n+")


class _Tok(NamedTuple):
    text: str
    low: str
    start: int
    end: int
    quote: str  # "open", "close" or ""


class _Phrase(NamedTuple):
    kind: str  # "name", "desc" or "pronoun"
    first: int  # index of its first token
    start: int  # character offsets in the sentence
    end: int


def _tokens(sentence: str) -> list[_Tok]:
    out = []
    for m in _TOKEN.finditer(sentence):
        text, a, b = m.group(), m.start(), m.end()
        quote = ""
        if text in _OPENERS:
            quote = "open"
        elif text in _CLOSERS:
            quote = "close"
        elif text in "\"'":
            quote = (
                "open"
                if a == 0 or sentence[a - 1].isspace() or sentence[a - 1] in "([—–"
                else "close"
            )
        out.append(_Tok(text, text.lower(), a, b, quote))
    return out


def _word(t: _Tok) -> bool:
    return t.text[0].isalnum()


def _at_start(toks: list[_Tok], i: int) -> bool:
    return i == 0 or toks[i - 1].quote == "open" or toks[i - 1].text in ":(—–"


def _cap(toks: list[_Tok], i: int) -> bool:
    """Token i is a capitalised name word: not a day or month, and not a sentence-initial word that
    would be lowercase mid-sentence ("But", "Former", "Historian James H. McClintock")."""
    t = toks[i]
    if not t.text[0].isupper() or t.low in _TIME:
        return False
    if not _at_start(toks, i):
        return True
    if t.low in _START_STOP:
        return False
    if t.low in _SPEAKER_NOUNS and t.low not in _PERSON_TITLES and t.text[1:].islower():
        nxt = toks[i + 1].low.rstrip(".") if i + 1 < len(toks) else ""
        return nxt in _ORG or nxt in _PERSON_TITLES  # "Police Chief Lee White", "City Manager ..."
    return True


def _particle(toks: list[_Tok], i: int) -> bool:
    return toks[i].low in _PARTICLES or toks[i].low.startswith(("al-", "el-", "ad-"))


def _connects(toks: list[_Tok], k: int, left: int) -> bool:
    """Token k joins two capitalised words (left is the one before it) into one name."""
    low = toks[k].low
    if _particle(toks, k) or low in ("and", "&"):
        return True
    return low in ("of", "for", "on", "the") and toks[left].low.rstrip(".") in _ORG


def _run_left(toks: list[_Tok], j: int) -> int:
    """Index of the first word of the capitalised name run that ends at token j."""
    i = j
    while i > 0:
        k = i - 1
        if toks[k].low == "the":
            if (
                k > 1
                and toks[k - 1].low in ("of", "for")
                and _cap(toks, k - 2)
                and _connects(toks, k - 1, k - 2)
            ):
                i = k - 2  # "Department of the Interior"
                continue
            break
        if _cap(toks, k):
            i = k
        elif _particle(toks, k) and k > 1 and _particle(toks, k - 1) and _cap(toks, k - 2):
            i = k - 2  # "von der Leyen"
        elif k > 0 and _cap(toks, k - 1) and _connects(toks, k, k - 1):
            i = k - 1
        else:
            break
    while i < j and (toks[i].low == "the" or not _cap(toks, i)):
        i += 1
    while i > 0 and i > j - 3 and _particle(toks, i - 1) and toks[i - 1].text.islower():
        i -= 1  # "von der Leyen said", "de Blasio said"
    return i


def _run_right(toks: list[_Tok], i: int) -> int:
    """Index of the last word of the capitalised name run that starts at token i."""
    j, n = i, len(toks)
    while j + 1 < n:
        k = j + 1
        if _cap(toks, k) and toks[k].low != "the":
            j = k
        elif k + 2 < n and _particle(toks, k) and _particle(toks, k + 1) and _cap(toks, k + 2):
            j = k + 2
        elif k + 1 < n and _connects(toks, k, j) and _cap(toks, k + 1):
            j = k + 1
        elif k + 2 < n and _connects(toks, k, j) and toks[k + 1].low == "the" and _cap(toks, k + 2):
            j = k + 2
        else:
            break
    return j


def _name(toks: list[_Tok], i: int, j: int) -> _Phrase:
    end = toks[j].end
    if toks[j].text.endswith(("'s", "’s")) and i == j:
        end -= 2
    return _Phrase("name", i, toks[i].start, end)


def _speaker_noun_head(toks: list[_Tok], j: int) -> bool:
    t = toks[j]
    return t.low in _SPEAKER_NOUNS and (
        t.text.islower() or (_at_start(toks, j) and t.text[1:].islower())
    )


def _subject(toks: list[_Tok], j: int, depth: int = 0) -> _Phrase | None:
    """The speaker phrase that ends at token j (parsing leftwards), or None."""
    if j < 0 or depth > 3:
        return None
    t = toks[j]
    if t.text == ")":
        k = j - 1
        while k > 0 and toks[k].text != "(":
            k -= 1
        return _subject(toks, k - 1, depth + 1) if k > 0 else None
    if t.text == ",":
        return _appositive(toks, j, depth)
    if t.low in ("he", "she"):
        prev = toks[j - 1] if j > 0 else None
        if prev is None or not _word(prev) or prev.low in ("and", "but", "then", "so", "as"):
            return _Phrase("pronoun", j, t.start, t.end)
        return None  # "I don't think he said": not the sentence's attribution
    if t.low in _OTHER_PRONOUNS or not _word(t):
        return None
    if _speaker_noun_head(toks, j):
        i = j
        while i > 0 and j - i < 6:
            w = toks[i - 1]
            if (
                not _word(w)
                or w.low in _SUBORD
                or w.low in _PREPS
                or w.low in _BE
                or w.low in _CONJ
            ):
                break
            if w.low in _CLAUSE_ADVERBS or w.low == "that":
                break
            i -= 1
            if w.low in _DETS:
                break
        head = _pp_head(toks, i, depth)
        if head is not None and head.kind == "desc":
            return _Phrase("desc", head.first, head.start, t.end)
        return _Phrase("desc", i, toks[i].start, t.end) if head is not None else None
    if _cap(toks, j):
        i = _run_left(toks, j)
        head = _pp_head(toks, i, depth)
        if head is _NO_PP:
            return _name(toks, i, j)
        if head is None:
            return None  # "a transcription of Giuliani's message to Sellers says"
        return head if head.kind == "name" else _Phrase("desc", head.first, head.start, t.end)
    if t.text.islower():  # "supporters of alternative schools": the head is before the preposition
        for k in range(j - 1, max(j - 4, 0), -1):
            if toks[k].low in _PREPS:
                head = _subject(toks, k - 1, depth + 1)
                if head is not None and head.kind == "desc":
                    return _Phrase("desc", head.first, head.start, t.end)
                break
            if not _word(toks[k]):
                break
    return None


def _appositive(toks: list[_Tok], j: int, depth: int) -> _Phrase | None:
    """Subject before "..., said" (token j is the comma): the clause's first comma-separated segment
    that is a whole speaker phrase ("Tammie Palmer of Colorado Springs, Colo., whose husband ...,
    said"); a name in apposition wins over a role ("His father, Robert Pelke, warned")."""
    k = j - 1
    while k >= 0 and j - k < 60 and not (toks[k].quote == "close" or toks[k].text in ";:—–"):
        k -= 1
    segments: list[tuple[int, int]] = []
    start = k + 1
    for m in range(k + 1, j + 1):
        if toks[m].text == ",":
            if m > start:
                segments.append((start, m - 1))
            start = m + 1
    for n, (a, b) in enumerate(segments[:-1] if len(segments) > 1 else []):
        while a < b and (
            toks[a].low in _CLAUSE_ADVERBS or toks[a].low in _TIME or toks[a].low == "on"
        ):
            a += 1  # "Earlier Thursday Southwest Airlines, which ..., announced"
        found = _subject(toks, b, depth + 1)
        if found is None or found.first != a or found.kind == "pronoun":
            continue
        if found.kind == "desc":
            c, d = segments[n + 1]
            inner = _subject(toks, d, depth + 1)
            if inner is not None and inner.kind == "name" and inner.first == c:
                return inner
        return found
    return None


_NO_PP = _Phrase("none", -1, -1, -1)


def _pp_head(toks: list[_Tok], i: int, depth: int) -> _Phrase | None:
    """When the phrase at token i is a preposition's object ("Lowe of Columbus"), the head before it;
    `_NO_PP` when the phrase is not a preposition's object; None when the head cannot speak."""
    k = i - 1
    while k > 0 and i - k <= 2 and toks[k].text.islower() and toks[k].low not in _PREPS:
        k -= 1  # "in metro Atlanta", "of the"
    if toks[k].low == "to" and k < i - 1 and toks[k + 1].low not in _DETS:
        return _NO_PP  # "to fire Sheriff David Taylor": an infinitive, not "adviser to the White House"
    if k <= 0 or toks[k].low not in _PREPS or not _word(toks[k - 1]):
        return _NO_PP  # no preposition, or an introductory one ("At the meeting Smith said")
    head = _subject(toks, k - 1, depth + 1)
    if head is None and k > 1 and toks[k - 1].low.endswith(("ing", "ed")):
        head = _subject(toks, k - 2, depth + 1)  # "analysts working with the Broad Foundation"
        if head is not None and head.kind != "desc":
            head = None
    return head if head is not None and head.kind != "pronoun" else None


def _forward(toks: list[_Tok], i: int, subject: bool = False) -> _Phrase | None:
    """The speaker phrase that starts at token i (after an inverted verb, "according to", "by")."""
    n = len(toks)
    j = i
    while j < n and toks[j].low in _DETS:
        j += 1
    name: tuple[int, int] | None = None
    head = -1
    k = j
    while k < n and _word(toks[k]) and k - i < 12:
        low = toks[k].low
        if _cap(toks, k):
            e = _run_right(toks, k)
            name, k = (k, e), e + 1
            if subject and not (k < n and toks[k].low in _SPEAKER_NOUNS and toks[k].text.islower()):
                break  # the sentence's subject ends before its verb ("Musk lawyer Andrew Rossman")
            continue
        if low in _SPEAKER_NOUNS:
            pass
        elif low in _SUBORD or low in _PREPS or low in _VERBS or low in ("and", "that", "by", "on"):
            break
        if k > j and low.endswith(("ed", "ing")) and low not in _SPEAKER_NOUNS:
            break
        name = None
        if low in _SPEAKER_NOUNS:
            head = k
        k += 1
    if name is not None and name[1] == k - 1:
        return _name(toks, name[0], name[1])
    if head < 0 or head != k - 1:
        return None
    if (
        k + 1 < n and toks[k].text == "," and _cap(toks, k + 1)
    ):  # "said the spokesperson, Jane Doe."
        e = _run_right(toks, k + 1)
        if e + 1 >= n or not _word(toks[e + 1]):
            return _name(toks, k + 1, e)
    end = toks[head].end
    if k + 1 < n and toks[k].low in ("for", "of", "at", "from", "in"):
        pp = _forward(toks, k + 1)
        if pp is not None:
            end = pp.end
    return _Phrase("desc", i, toks[i].start, end)


def _left_of_verb(toks: list[_Tok], v: int, sentence: str) -> tuple[_Phrase, bool] | None:
    """The subject of the speech verb at token v, and whether it is a weak reading (a passive "was
    announced by X", or the sentence's subject before "... and said")."""
    j = v - 1
    passive = False
    while j >= 0 and v - j <= 6:
        low = toks[j].low
        if low in _NEG or low.endswith(("n't", "n’t")):
            return None
        if low in _BE:
            # "X was quoted as saying" is active in meaning
            passive = passive or not (toks[v].low == "quoted" and _follows(toks, v, "as", "saying"))
        elif low not in _SKIP and low not in _TIME:
            break
        j -= 1
    if passive:
        if v + 2 < len(toks) and toks[v + 1].low == "by" and toks[v].low in _BY_VERBS:
            found = _forward(toks, v + 2)
            return (found, True) if found is not None else None
        return None
    k = v + 1
    while k < len(toks) and (toks[k].low in _TIME or toks[k].low in ("last", "this", "week")):
        k += 1
    if k < len(toks) and (
        toks[k].low == "by"
        or (toks[k].low == "to" and k + 1 < len(toks) and toks[k + 1].low in ("be", "have"))
    ):
        return None  # a participle: "The task force announced Monday by ...", "a person confirmed to be"
    if j >= 0 and toks[j].low in ("and", "but"):
        first = _sentence_subject(toks)  # "The vice president condemned the violence and said"
        return (first, True) if first is not None and first.kind != "pronoun" else None
    found = _subject(toks, j)
    if found is None and j >= 0 and _tail(toks, v) and toks[j].text.islower() and _word(toks[j]):
        found = _loose_description(toks, j)  # ", the diocese said."
    if found is None and j > 1 and toks[j].low == "who" and toks[j - 1].text == ",":
        found = _subject(toks, j - 2)  # "Donald Trump Jr., who wrote that ..."
        return (found, False) if found is not None and found.kind == "name" else None
    if found is None:
        return None
    if sentence[found.start : found.end].endswith(("'s", "’s")):
        return None  # "North Korea's claims": a noun, not a verb
    p = found.first - 1
    while p >= 0 and toks[p].low in ("the", "a", "an"):
        p -= 1
    prev = toks[p].low if p >= 0 else ""
    if prev in _QUESTION or prev == "that" or (prev in _SUBORD and prev != "as"):
        return None
    if prev == "as" and p > 0 and toks[p - 1].text != ",":
        return None  # "As X said, ..." attributes; "rose as X said" does not
    return found, False


def _follows(toks: list[_Tok], v: int, *words: str) -> bool:
    return [t.low for t in toks[v + 1 : v + 1 + len(words)]] == list(words)


def _tail(toks: list[_Tok], v: int) -> bool:
    """The verb at v closes the sentence ("..., the diocese said in a statement.")."""
    rest = [t for t in toks[v + 1 :] if _word(t)]
    return len(rest) <= 4 and not any(t.quote == "open" for t in toks[v + 1 :])


def _loose_description(toks: list[_Tok], j: int) -> _Phrase | None:
    """A nameless speaker whose head is not in `_SPEAKER_NOUNS`, accepted only in a closing ", X said"."""
    if toks[j].low in _SKIP or toks[j].low.endswith("ly"):
        return None
    i = j
    while i > 0 and j - i < 4 and _word(toks[i - 1]) and toks[i - 1].text.islower():
        if toks[i - 1].low in _SUBORD or toks[i - 1].low in _PREPS or toks[i - 1].low in _CONJ:
            break
        i -= 1
        if toks[i].low in _DETS:
            break
    if toks[i].low not in _DETS or i == 0 or toks[i - 1].text not in ',”"':
        return None
    return _Phrase("desc", i, toks[i].start, toks[j].end)


def _sentence_subject(toks: list[_Tok]) -> _Phrase | None:
    """The subject at the start of the sentence, for "X addressed ..., saying ..."."""
    i = 0
    if toks and (toks[0].low in _PREPS or toks[0].low in _SUBORD or toks[0].low in _CLAUSE_ADVERBS):
        while i < len(toks) and toks[i].text != ",":
            i += 1
        i += 1
    if i >= len(toks) or toks[i].low in _OTHER_PRONOUNS:
        return None
    found = _forward(toks, i, subject=True)
    if found is None:
        return None
    e = next((k for k in range(found.first, len(toks)) if toks[k].start >= found.end), len(toks))
    return found if e < len(toks) and toks[e].text.islower() and _word(toks[e]) else None


def _attributions(toks: list[_Tok], sentence: str) -> list[tuple[int, int, _Phrase]]:
    """Every attribution in the sentence as (rank, token position, speaker); lower rank wins."""
    found: list[tuple[int, int, _Phrase]] = []
    n = len(toks)
    for v, t in enumerate(toks):
        low = t.text
        prev = toks[v - 1] if v > 0 else None
        nxt = toks[v + 1] if v + 1 < n else None
        if low == "according" and nxt is not None and nxt.low == "to":
            phrase = _forward(toks, v + 2)
            quoted = (
                prev is not None and prev.text == "," and v > 1 and toks[v - 2].quote == "close"
            )
            if phrase is not None:
                found.append((0 if quoted else 1, v, phrase))
            continue
        if low == "saying" and prev is not None and prev.text == ",":
            phrase = _sentence_subject(toks)
            if phrase is not None:
                found.append((3, v, phrase))
            continue
        statement = (
            low in _STATEMENT_VERBS
            and v + 2 < n
            and toks[v + 1].low in ("a", "an")
            and toks[v + 2].low in _STATEMENT_NOUNS
        )
        called = low == "called" and (
            (nxt is not None and nxt.low in ("on", "for"))
            or any(x.quote == "open" for x in toks[v + 1 : v + 7])
        )
        quoted_as = low == "quoted" and _follows(toks, v, "as", "saying")
        if not (low in _VERBS or statement or called or quoted_as):
            continue
        quoted = nxt is not None and (
            nxt.quote == "open" or (nxt.text in ":," and v + 2 < n and toks[v + 2].quote == "open")
        )
        weak = low in _WEAK and nxt is not None and nxt.low != "that" and not nxt.quote
        weak = weak and nxt is not None and nxt.text not in ":,.;—–-"
        if weak and not any(x.quote == "close" for x in toks[max(v - 6, 0) : v]):
            continue  # "added $1.8 billion" (but “...,” Gamble added to him)
        if prev is not None and (prev.quote == "close" or prev.text == ",") and low in _INVERTING:
            phrase = _forward(toks, v + 1)
            if phrase is not None and _ends_phrase(toks, phrase):
                after_quote = prev.quote == "close" or (v > 1 and toks[v - 2].quote == "close")
                found.append((0 if quoted or after_quote else 1, v, phrase))
                continue
        if prev is not None and prev.quote == "close":
            continue
        subject = _left_of_verb(toks, v, sentence)
        if subject is None:
            continue
        phrase, passive = subject
        s = phrase.first
        quoted = quoted or (s > 0 and toks[s - 1].quote == "close")
        quoted = quoted or (s > 1 and toks[s - 1].text == "," and toks[s - 2].quote == "close")
        found.append((0 if quoted else 2 if passive else 1, v, phrase))
    return found


def _ends_phrase(toks: list[_Tok], phrase: _Phrase) -> bool:
    """An inverted subject ("..., said Smith") is followed by punctuation or a modifier, not a verb."""
    e = next((k for k in range(phrase.first, len(toks)) if toks[k].start >= phrase.end), len(toks))
    if e >= len(toks) or not _word(toks[e]):
        return True
    low = toks[e].low
    return (
        low in _PREPS
        or low in _SUBORD
        or low in _TIME
        or low in _CONJ
        or low in ("on", "during", "to")
    )


def _attribute(sentence: str) -> _Phrase | None:
    toks = _tokens(sentence)
    if toks and sentence.rstrip().endswith("?") and toks[0].low in _QUESTION_WORDS:
        return None  # "What has Beyonce said about her new album?"
    found = _attributions(toks, sentence)
    return min(found, key=lambda f: (f[0], f[1]))[2] if found else None


def _gender(word: str) -> str:
    w = word.lower().rstrip(".")
    return "m" if w in _MALE else "f" if w in _FEMALE else ""


def _key(name: str) -> str:
    """Lowercased last word without a possessive: the surname key that merges mentions."""
    last = name.split()[-1].lower()
    if last.endswith(("'s", "’s")):
        return last[:-2]
    return last.rstrip("'’")


class _Mention(NamedTuple):
    key: str  # surname, lowercased
    text: str  # as written, possessive dropped
    gender: str  # "m", "f" or "" from a title ("Mr.", "Queen")
    strong: bool  # a full or titled name; a lone surname counts only once seen in full


def _people(sentence: str) -> tuple[_Phrase | None, str | None, list[_Mention]]:
    """A sentence's attribution, its named speaker (if any) and its person mentions outside quotes."""
    found = _attribute(sentence)
    said = sentence[found.start : found.end] if found is not None and found.kind == "name" else None
    outside = _QUOTED.sub(lambda m: " " * len(m.group()), sentence)
    toks = _tokens(outside)
    mentions: list[_Mention] = []
    i = 0
    while i < len(toks):
        if not _cap(toks, i):
            i += 1
            continue
        e = _run_right(toks, i)
        full = toks[i : e + 1]
        i = e + 1
        low = [_key(t.low).rstrip(".") for t in full]
        titled = any(w in _PERSON_TITLES for w in low[:-1])
        org = any(w in _ORG for w in low) or (full[-1].text.isupper() and len(full[-1].text) > 1)
        if (org and not titled) or low[0] in _PLACE_FIRST or low[-1] in _PLACE_LAST:
            continue
        parts: list[list[_Tok]] = [[]]
        for t in full:  # "Biden and Harris": two people
            if t.low in ("and", "&"):
                parts.append([])
            else:
                parts[-1].append(t)
        for run in parts:
            if not run or any(t.text.endswith(("'s", "’s")) for t in run[:-1]):
                continue
            first = run[0].low.rstrip(".")
            text = outside[run[0].start : run[-1].end]
            text = text[:-2] if text.endswith(("'s", "’s")) else text
            strong = len(run) >= 2 or first in _PERSON_TITLES
            mentions.append(_Mention(_key(run[-1].text), text, _gender(first), strong))
    return found, said, mentions


def _sentences(text: str) -> list[str]:
    """Split article text into sentences (not after "U.N." or "Sen.")."""
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        word = (
            text[start : m.start()].rsplit(None, 1)[-1] if text[start : m.start()].strip() else ""
        )
        if m.group().strip() == "" and "\n" not in m.group() and _ABBREVIATION_END.search(word):
            continue
        out.append(text[start : m.start()].strip())
        start = m.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


def _resolve(pronoun: str, before: str) -> str | None:
    """The person a "he"/"she" speaker refers to, when the preceding sentences make it unambiguous."""
    sentences = _sentences(before[-2500:])
    window = [s for s in sentences if not s.startswith(("--", "—", "–"))][-8:]  # not bylines
    parsed = [(s, *_people(s)) for s in window]
    known = {m.key for _, _, _, mentions in parsed for m in mentions if m.strong}
    known.update(_key(said) for _, _, said, _ in parsed if said is not None)
    want = "m" if pronoun == "he" else "f"
    budget = 3
    for s, found, said, mentions in reversed(parsed):
        if budget == 0:
            break
        if s.split(maxsplit=1)[0].strip('“"').lower() == pronoun:
            continue  # "He said ..." before "he added" is the same person; look further back
        if (
            found is not None
            and found.kind == "pronoun"
            and s[found.start : found.end].lower() == pronoun
        ):
            continue
        budget -= 1
        if said is not None and _gender(said.split()[0]) in ("", want):
            return said[:-2] if said.endswith(("'s", "’s")) else said
        named = [m for m in mentions if m.strong or m.key in known]
        people = {m.key for m in named if m.gender in ("", want)}
        if len(people) > 1 or (not people and named):
            return None
        if people:
            key = people.pop()
            return max((m.text for m in named if m.key == key), key=len)
    return None


def speaker(sentence: str, before: str = "") -> str | None:
    """Who the sentence says makes its statement or quotation, as the sentence names them.

    Args:
        sentence: one sentence of a news article.
        before: the article text before the sentence; only used to resolve "he said"/"she said".

    Returns:
        The speaker's name ("Mayor Tom Hadley", "Reuters"), a nameless speaker phrase ("the ministry",
        "officials"), or None when the sentence attributes nothing, or its speaker is a pronoun that
        `before` does not resolve unambiguously. The module docstring states the rule.
    """
    found = _attribute(sentence)
    if found is None:
        return None
    if found.kind == "pronoun":
        return _resolve(sentence[found.start : found.end].lower(), before) if before else None
    return sentence[found.start : found.end]
