"""Speech words: the word lists and patterns speaker attribution reads sentences with.

The vocabulary `qa.answering.attribution` works from: speech verbs (`_VERBS`, and the weak,
inverting and passive subsets), the function words that bound a speaker phrase (determiners,
prepositions, subordinators, conjunctions, negations, clause adverbs), the heads that can speak
(`_SPEAKER_NOUNS`), organisation, place, title and gender words, name particles, and the regular
expressions for tokens, abbreviations, quotations and sentence ends. Data only: no logic beyond
building the sets, standard library only.
"""

from __future__ import annotations

import re

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
