"""Value words: the tables and patterns answer values are read with.

The vocabulary `qa.answering.agreement` normalises short answers with: month and weekday names
and the date patterns built from them, hedges ("about", "nearly") and bounds ("more than" -> ">"),
scale words ("million" -> 10**6), currency symbols and words, units, number words, and the
articles, name particles and titles folded out of names; `_list` and `_table` build the tables
from compact strings. Data only, standard library only.
"""

from __future__ import annotations

import re
from decimal import Decimal


def _list(text: str, sep: str | None = None) -> list[str]:
    return text.split(sep)


def _table(spec: str) -> dict[str, str]:
    """'a=b; c d=e' -> {"a": "b", "c d": "e"}: the tables below, one line each."""
    return dict(pair.strip().split("=", 1) for pair in spec.split(";") if pair.strip())


_MONTH_NAMES = "january jan|february feb|march mar|april apr|may|june jun|july jul|august aug|september sep sept|october oct|november nov|december dec"
_MONTHS = {name: n for n, names in enumerate(_MONTH_NAMES.split("|"), 1) for name in names.split()}
_WEEKDAYS = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?"
_MONTH = r"(?P<{}>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<{}>\d{{1,2}})(?:st|nd|rd|th)?"
_YEAR = r"(?P<{}>\d{{4}})"
_DATE_PATTERNS = [
    re.compile(
        rf"^(?:{_WEEKDAYS},?\s+)?{_DAY.format('d')}\s+(?:of\s+)?{_MONTH.format('m')},?(?:\s+{_YEAR.format('y')})?$"
    ),
    re.compile(
        rf"^(?:{_WEEKDAYS},?\s+)?{_MONTH.format('m')}\s+{_DAY.format('d')}(?:,?\s+{_YEAR.format('y')})?$"
    ),
    re.compile(rf"^{_MONTH.format('m')},?\s+{_YEAR.format('y')}$"),
    re.compile(rf"^{_MONTH.format('m')}$"),
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2}))?$"),
    re.compile(r"^(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})$"),
]
_HEDGES = _list(
    "about|around|roughly|approximately|approx.|nearly|almost|some|an estimated|estimated|just over|"
    "just under|close to",
    "|",
)
_BOUNDS = _table(
    "more than=>; over=>; above=>; greater than=>; at least=>=; no fewer than=>=; no less than=>=; "
    "fewer than=<; less than=<; under=<; below=<; at most=<=; up to=<=; no more than=<="
)
_SCALES = {
    word: Decimal(10) ** int(power)
    for word, power in _table(
        "hundred=2; thousand=3; k=3; million=6; m=6; mn=6; mln=6; billion=9; bn=9; b=9; trillion=12; tn=12"
    ).items()
}
_SYMBOLS = _table(
    "us$=usd; $=usd; c$=cad; ca$=cad; a$=aud; au$=aud; hk$=hkd; €=eur; £=gbp; ¥=jpy; ₹=inr"
)
_CURRENCY_WORDS = _table(
    "usd=usd; dollar=usd; us dollar=usd; u.s. dollar=usd; canadian dollar=cad; australian dollar=aud; "
    "hong kong dollar=hkd; eur=eur; euro=eur; gbp=gbp; pound sterling=gbp; sterling=gbp; jpy=jpy; yen=jpy; "
    "yuan=cny; renminbi=cny; cny=cny; rupee=inr; inr=inr; cad=cad; aud=aud"
)
_UNITS = _table(
    "percent=%; per cent=%; pct=%; %=%; percentage point=pp; people=person; persons=person; kilometer=km; "
    "kilometre=km; mi=mile; kilogram=kg; lbs=lb; feet=ft; foot=ft"
)
_ONES = {
    w: n
    for n, w in enumerate(
        _list(
            "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
            "sixteen seventeen eighteen nineteen"
        )
    )
}
_TENS = {
    w: 10 * n
    for n, w in enumerate(_list("twenty thirty forty fifty sixty seventy eighty ninety"), 2)
}
_ARTICLES = frozenset({"the", "a", "an"})
_PARTICLES = frozenset(
    [
        "of",
        "for",
        "and",
        "the",
        "de",
        "da",
        "di",
        "du",
        "del",
        "della",
        "van",
        "von",
        "der",
        "den",
        "la",
        "le",
        "bin",
        "al",
        "el",
        "y",
        "on",
        "at",
        "in",
    ]
)
_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "prof",
        "sir",
        "dame",
        "lord",
        "lady",
        "rev",
        "fr",
        "mayor",
        "gov",
        "governor",
        "president",
        "vice",
        "sen",
        "senator",
        "rep",
        "representative",
        "congressman",
        "congresswoman",
        "judge",
        "justice",
        "chief",
        "secretary",
        "minister",
        "gen",
        "general",
        "brig",
        "brigadier",
        "col",
        "colonel",
        "maj",
        "major",
        "capt",
        "captain",
        "lt",
        "lieutenant",
        "sgt",
        "sergeant",
        "adm",
        "admiral",
        "cmdr",
        "commander",
        "det",
        "detective",
        "sheriff",
        "ambassador",
        "king",
        "queen",
        "prince",
        "princess",
        "pope",
        "deputy",
        "acting",
        "former",
        "chancellor",
        "premier",
        "councilman",
        "councilwoman",
        "alderman",
        "atty",
        "attorney",
        "officer",
    ]
)
_NUMBER = re.compile(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|^[-+]?\.\d+")
