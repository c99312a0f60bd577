"""Do two sources give the same answer? Canonical keys for short answer spans, and grouping by them.

`normalize_value(text)` maps a short answer ("$48.2 million", "13 March 2025", "Mayor Tom Hadley")
to a canonical key; `compare(a, b)` says whether two answers state the same value (or one states
less of it without contradicting the other); `group_versions(items)` groups (answer, payload) pairs
into versions. Deterministic, standard library only.

Keys, by kind (tried in this order):
- Dates -> "date:2025-03-13". "13 March 2025" == "March 13, 2025" == "2025-03-13" ==
  "Thursday, Mar. 13th, 2025". Partial dates keep only what is written: "March 2025" ->
  "date:2025-03", "March 13" -> "date:--03-13", "March" -> "date:--03". Slash dates (3/13/2025) are
  read month first, as in US news. A bare year ("2025") is a number.
- Numbers -> "num:<bound><value>:<unit>", value exact (Decimal) after the scale word:
  "$48.2 million" == "48.2m dollars" == "US$48,200,000" -> "num:48200000:usd"; "48.2" == "48.20";
  "three" == "3"; "12.5%" == "12.5 percent" -> "num:12.5:%" ("percentage points" -> "pp").
  Scales: thousand/k, million/m/mn/mln, billion/bn/b, trillion/tn; "a dozen" = 12. Currencies:
  $/US$/USD/dollars -> usd, C$/A$/HK$, €/euros -> eur, £/GBP/sterling -> gbp, ¥/yen, yuan, rupees;
  the word "pounds" is a unit (weight or money: ambiguous), not gbp. Another unit is the first word
  after the number, singular ("5,000 acres" -> "acre", "48 people" -> "person"). Hedges are dropped
  ("about", "nearly", "an estimated"); bounds are kept ("more than 300" -> "num:>300:"; also >= < <=).
- Names -> "name:tom hadley": when every word is capitalised (particles and articles aside). Case,
  accents, punctuation and possessives are folded, and leading articles and leading titles dropped
  ("The Riverton Daily Ledger" -> "name:riverton daily ledger", "Mayor Tom Hadley" -> "name:tom hadley").
- Weekdays -> "day:tue" ("Tuesday", "on Tuesday"): set beside another weekday only.
- A phrase that holds one of these ("Nov. 3 and plans to ...", "the Nara Medical University
  hospital", "up 12% from last year") -> the first date in it (with a day or a year), else the
  first figure written with digits (not inside a word: "Covid-19" is none), else the first run
  of capitalised words.
- Anything else -> "text:..." with the same folding (case, accents, punctuation, leading articles).

Same value (`compare`), the rule `group_versions` uses too:
- equal keys; or
- numbers with the same value and bound where one has no unit ("48.2 million" ~ "$48.2 million");
  with `rounding=True`, also when the less precise one, as written, is the other rounded
  ("$48.2 million" ~ "$48,213,000"; never "$48.2 million" ~ "$48.1 million"). Off by default: a
  changed figure is a disagreement even when it could be a rounding;
- dates where one is the other with fields left out ("March 2025" ~ "13 March 2025", "March 13" ~
  "13 March 2025"; but "March 2025" !~ "April 2025", "12 March" !~ "13 March 2025");
- names where the shorter's words are a subset of the longer's and include its last word
  ("Hadley" ~ "Tom Hadley" ~ "Mayor Tom Hadley", "Daily Ledger" ~ "Riverton Daily Ledger";
  "Tom" !~ "Tom Hadley", "Tom Hadley" !~ "Tom Hadley Jr." is a known limit: it matches).
Text keys never match by subset ("budget cut" !~ "no budget cut").
Compatibility is not transitive ("March 2025" ~ "13 March" and ~ "14 March"), so `group_versions`
puts an item in the first group whose every member it matches, in first-seen order.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from qa.answering.value_words import (
    _ARTICLES,
    _BOUNDS,
    _CURRENCY_WORDS,
    _DATE_PATTERNS,
    _HEDGES,
    _MONTHS,
    _NUMBER,
    _ONES,
    _PARTICLES,
    _SCALES,
    _SYMBOLS,
    _TENS,
    _TITLES,
    _UNITS,
    _WEEKDAYS,
)

__all__ = ["comparable", "compare", "group_versions", "kind_of", "normalize_value"]

T = TypeVar("T")


@dataclass(frozen=True)
class _Value:
    kind: str  # "date", "num", "name" or "text"
    key: str
    parts: tuple[str, ...] = ()  # date: (year, month, day) with "" when absent; name: its words
    number: Decimal | None = None
    bound: str = ""
    unit: str = ""
    step: Decimal | None = None  # the precision as written: "48.2 million" -> 100000
    folded: str = ""  # the whole answer, folded: equal folded answers are the same value


def _fold(text: str) -> str:
    """Lowercase, accents stripped, curly quotes and dashes made plain, spaces collapsed."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = re.sub(r"[\u2010-\u2015]", "-", text)
    return " ".join(text.casefold().split())


def _date(folded: str) -> _Value | None:
    text = folded.strip().rstrip(".").strip()
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m is None:
            continue
        groups = m.groupdict()
        month_text = groups.get("m") or ""
        month = (
            _MONTHS.get(month_text.rstrip("."), 0) if not month_text.isdigit() else int(month_text)
        )
        day = int(groups["d"]) if groups.get("d") else 0
        year = groups.get("y") or ""
        if not 1 <= month <= 12 or day > 31:
            return None
        parts = (year, f"{month:02d}", f"{day:02d}" if day else "")
        if year:
            key = "-".join(p for p in parts if p)
        else:
            key = "--" + "-".join(p for p in parts[1:] if p)
        return _Value("date", "date:" + key, parts)
    return None


def _words_number(words: list[str]) -> tuple[Decimal, int] | None:
    """A number written in words at the start of `words` ("twenty-five", "a dozen"): (value, words used)."""
    total, current, used = 0, 0, 0
    seen = False
    if len(words) > 1 and words[0] == "a" and words[1] in _SCALES and len(words[1]) > 2:
        return Decimal(1), 1  # "a million": the scale is applied by the caller
    for i, w in enumerate(words):
        w = w.strip(",")
        parts = w.split("-")
        if all(p in _ONES or p in _TENS for p in parts) and parts:
            current += sum(_ONES.get(p, 0) + _TENS.get(p, 0) for p in parts)
            seen, used = True, i + 1
        elif w == "dozen" and (seen or (i > 0 and words[i - 1] == "a")):
            current = (current or 1) * 12
            seen, used = True, i + 1
        elif w == "hundred" and (seen or (i > 0 and words[i - 1] == "a")):
            current = (current or 1) * 100
            seen, used = True, i + 1
        elif w == "thousand" and (seen or (i > 0 and words[i - 1] == "a")):
            total, current = (total + (current or 1)) * 1000, 0
            seen, used = True, i + 1
        elif w in ("and", "a") and (seen or w == "a"):
            continue
        else:
            break
    return (Decimal(total + current), used) if seen else None


def _unit(words: list[str]) -> tuple[str, int]:
    """The unit named by the first words: (canonical unit, words used)."""
    for n in (3, 2, 1):
        phrase = " ".join(words[:n])
        singular = re.sub(r"(?<=[a-z])s$", "", phrase)
        for candidate in (phrase, singular):
            if candidate in _CURRENCY_WORDS:
                return _CURRENCY_WORDS[candidate], n
            if candidate in _UNITS:
                return _UNITS[candidate], n
    if (
        words
        and re.fullmatch(r"[a-z][a-z'-]*", words[0])
        and words[0] not in ("of", "in", "and", "to")
    ):
        word = words[0]
        if word.endswith("ies") and len(word) > 4:
            word = word[:-3] + "y"
        elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
            word = word[:-1]
        return word, 1
    return "", 0


def _number(folded: str) -> _Value | None:
    text = folded.strip().rstrip(".").strip()
    bound = ""
    for hedge in _HEDGES:
        if text.startswith(hedge + " "):
            text = text[len(hedge) + 1 :]
            break
    for phrase, sign in sorted(_BOUNDS.items(), key=lambda kv: -len(kv[0])):
        if text.startswith(phrase + " "):
            text, bound = text[len(phrase) + 1 :], sign
            break
    currency = ""
    for symbol in sorted(_SYMBOLS, key=len, reverse=True):
        if text.startswith(symbol):
            currency, text = _SYMBOLS[symbol], text[len(symbol) :].lstrip()
            break
    m = _NUMBER.match(text)
    if m is not None:
        digits = m.group().replace(",", "")
        try:
            value = Decimal(digits)
        except InvalidOperation:
            return None
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        step = Decimal(1).scaleb(-decimals)
        rest = text[m.end() :]
        if rest.startswith("%"):
            rest = " percent" + rest[1:]
        glued = re.match(r"[a-z]+", rest)  # "48.2m", "5bn": the scale written onto the number
        if glued and glued.group() in ("st", "nd", "rd", "th"):
            return None  # an ordinal ("3rd") is not a quantity
        if glued and glued.group() in _SCALES:
            rest = glued.group() + " " + rest[glued.end() :]
        words = rest.split()
    else:
        parsed = _words_number(text.split())
        if parsed is None:
            return None
        value, used = parsed
        step = Decimal(1)
        words = text.split()[used:]
    words = [w.strip(",;:()") for w in words]
    words = [w for w in words if w]
    if words and words[0] in _SCALES:
        scale = _SCALES[words[0]]
        value, step = value * scale, step * scale
        words = words[1:]
    unit, _ = _unit(words)
    if currency and not (currency == "usd" and unit in _CURRENCY_WORDS.values()):
        unit = currency  # "$48.2 million budget": the currency is the unit ("$5 Canadian dollars": cad)
    number = f"{value.normalize():f}"  # 48.20 -> "48.2", 4.82E+7 -> "48200000"
    return _Value("num", f"num:{bound}{number}:{unit}", (), value, bound, unit, step)


def _name_or_text(original: str, folded: str) -> _Value:
    raw = re.findall(r"[^\W_][\w'.-]*", unicodedata.normalize("NFKC", original).replace("’", "'"))
    words = [re.sub(r"['’]s$", "", w).strip(".'-").replace("-", " ") for w in raw]
    words = [p for w in words for p in w.split()]
    while words and words[0].lower() in _ARTICLES:
        words = words[1:]
    capitalised = bool(words) and all(
        w[0].isupper() or w.lower() in _PARTICLES or w[0].isdigit() for w in words
    )
    tokens = [_fold(w) for w in words]
    day = [t for t in tokens if t not in ("on", "at", "by", "last", "next", "this")]
    if len(day) == 1 and re.fullmatch(_WEEKDAYS, day[0].rstrip(".")):
        return _Value("day", "day:" + day[0].rstrip(".")[:3], (day[0][:3],))  # "on Tuesday"
    if capitalised:
        while len(tokens) > 1 and tokens[0].rstrip(".") in _TITLES:
            tokens = tokens[1:]
        return _Value("name", "name:" + " ".join(tokens), tuple(tokens))
    tokens = re.findall(r"[^\W_]+", folded)
    while tokens and tokens[0] in _ARTICLES:
        tokens = tokens[1:]
    return _Value("text", "text:" + " ".join(tokens), tuple(tokens))


def _words_of(text: str) -> frozenset[str]:
    return frozenset(text.split())


# dates inside a phrase: with a day or a year ("may" alone is more often a verb)
_DATE_INSIDE = [
    re.compile(r"(?<!\w)" + p.pattern.strip("^$") + r"(?!\w)") for p in _DATE_PATTERNS[:3]
]
_FIGURE_INSIDE = re.compile(r"(?:(?<=\s)|^)(?:us\$|\$|€|£)?\d")
_CAPS_RUN = re.compile(r"(?:[A-Z][\w'’.-]*\s*)+")
_NOT_NAMES = _words_of(
    "a an the but and or so yet it its he she they we i you his her their our this that these "
    "those there here in on at as if when after before while with for from by to of"
)


def _inside(
    text: str, folded: str, kinds: tuple[str, ...] = ("date", "num", "name")
) -> _Value | None:
    """A date, figure or name (of `kinds`) inside a longer phrase (see the module docstring)."""
    for pattern in _DATE_INSIDE if "date" in kinds else ():
        m = pattern.search(folded)
        if m is not None and (found := _date(m.group())) is not None:
            return found
    m = _FIGURE_INSIDE.search(folded) if "num" in kinds else None
    if m is not None and (found := _number(folded[m.start() :])) is not None:
        return found
    # a name only in a short answer: a capitalised word in a clause is no name answer
    for run in _CAPS_RUN.finditer(text) if "name" in kinds and len(text.split()) <= 5 else ():
        words = [
            w
            for w in run.group().split()
            if (f := _fold(w).strip(".'")) not in _NOT_NAMES and f not in _MONTHS
            and not re.fullmatch(_WEEKDAYS, f)
        ]  # fmt: skip
        name = " ".join(words)
        if words and (found := _name_or_text(name, _fold(name))).kind == "name":
            return found
    return None


def _parse(text: str) -> _Value:
    folded = _fold(text)
    whole = _date(folded) or _number(folded) or _name_or_text(text, folded)
    if whole.kind == "text":
        whole = _inside(text, folded) or whole
    return replace(whole, folded=" ".join(re.findall(r"[^\W_]+", folded)))


def normalize_value(text: str) -> str:
    """The canonical key of a short answer span, e.g. "$48.2 million" -> "num:48200000:usd".

    Args:
        text: a short answer as a source states it (a figure, a date, a name, a phrase).

    Returns:
        A key starting with its kind ("date:", "num:", "name:", "text:"); the module docstring
        gives the rules. Equal keys always mean the same value; `compare` also matches a value
        stated with less detail (no unit, no day, a surname only).
    """
    return _parse(text).key


def _specificity(v: _Value) -> tuple[int, Decimal]:
    """How much a value says: more date fields, a unit, finer precision, more name words."""
    if v.kind == "date":
        return sum(1 for p in v.parts if p), Decimal(0)
    if v.kind == "num":
        return 1 + (1 if v.unit else 0), -(v.step or Decimal(0))
    return len(v.parts), Decimal(0)


def _rounds_to(coarse: _Value, fine: _Value) -> bool:
    if coarse.number is None or fine.number is None or coarse.step is None or fine.step is None:
        return False
    if coarse.step <= fine.step:
        return False
    return (fine.number / coarse.step).quantize(
        Decimal(1), rounding="ROUND_HALF_UP"
    ) * coarse.step == coarse.number


def _same(a: _Value, b: _Value, rounding: bool = False) -> bool:
    if a.key == b.key or (
        a.kind in ("name", "text")
        and b.kind in ("name", "text")
        and a.folded
        and a.folded == b.folded
    ):
        return True  # ("James Webb Space telescope" is read as a name with one word less)
    if a.kind != b.kind:
        return False
    if a.kind == "num":
        if a.bound != b.bound or (a.unit and b.unit and a.unit != b.unit):
            return False
        if a.number == b.number:
            return True
        return rounding and (_rounds_to(a, b) or _rounds_to(b, a))
    if a.kind == "date":  # every field equal or left out on one side
        return all(x == y or not x or not y for x, y in zip(a.parts, b.parts, strict=True))
    if a.kind == "name":
        short, long_ = (a.parts, b.parts) if len(a.parts) <= len(b.parts) else (b.parts, a.parts)
        if not short or not all(any(_kin(w, v) for v in long_) for w in short):
            return False
        return any(_kin(long_[-1], w) for w in short)
    return False


def _kin(a: str, b: str) -> bool:
    """Two name words that are one ("Colombia", "Colombian"; "Ukraine", "Ukrainian"): equal, or
    sharing a start of at least 5 letters that is most of the shorter."""
    if a == b:
        return True
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n >= 5 and n >= 0.8 * min(len(a), len(b))


def compare(a: str, b: str, *, rounding: bool = False) -> bool:
    """Whether two short answers state the same value (see the module docstring for the rule).

    Args:
        a: one answer span, e.g. "$48.2 million".
        b: another, e.g. "48.2m dollars".
        rounding: also match a figure with the other rounded to its written precision
            ("$48.2 million" and "$48,213,000").

    Returns:
        True when the two can be the same value: equal keys, or one says less without contradicting
        the other (no unit, a month without the day, a surname only).
    """
    return _same(_parse(a), _parse(b), rounding)


def kind_of(text: str) -> str:
    """The kind of value a short answer states: "date", "num", "name", "day" or "text"."""
    return _parse(text).kind


def comparable(a: str, b: str) -> bool:
    """Whether two short answers are values of one kind that can be set side by side: two figures
    (in the same unit, or one without a unit), two dates, or two names; a figure is also read
    from inside the other answer's words ("960" and "SMACS 0723": two figures). Phrases are not: two
    outlets word a phrase differently without disagreeing ("at city hall", "in the council
    chamber"), so only equal phrases count as the same (`compare`) and unequal ones as unrelated.

    Args:
        a: one answer span, e.g. "$48.2 million".
        b: another, e.g. "48.1 million" (comparable) or "300 people" (not: another unit).

    Returns:
        True when `compare(a, b)` tells a disagreement from an agreement.
    """
    x, y = _parse(a), _parse(b)
    if x.kind != y.kind and "num" in (x.kind, y.kind) and "text" not in (x.kind, y.kind):
        y = _inside(b, _fold(b), ("num",)) or y if x.kind == "num" else y  # "SMACS 0723"
        x = _inside(a, _fold(a), ("num",)) or x if y.kind == "num" else x
    if x.kind != y.kind or x.kind == "text":
        return False
    if x.kind != "num" or x.unit == y.unit:
        return True
    if x.unit and y.unit:
        return False
    bare = y if x.unit else x  # a figure without a unit beside one with a unit: not a year
    return not (
        bare.number is not None
        and bare.number == bare.number.to_integral_value()
        and 1800 <= bare.number <= 2100
    )


def group_versions(
    items: Sequence[tuple[str, T]], *, rounding: bool = False
) -> list[tuple[str, list[T]]]:
    """Group (answer, payload) pairs into versions of the answer, in first-seen order.

    An item joins the first group whose every member it matches (`compare`); otherwise it starts a
    new group. A group's key is the key of its most specific member ("Mayor Tom Hadley" over
    "Hadley", "13 March 2025" over "March 2025"), the first one on a tie.

    Args:
        items: (answer span, payload) pairs, e.g. (short answer, citation).
        rounding: as in `compare`.

    Returns:
        [(key, [payload, ...]), ...]: one entry per version, groups and payloads in first-seen order.
    """
    groups: list[tuple[list[_Value], list[T]]] = []
    for text, payload in items:
        value = _parse(text)
        for values, payloads in groups:
            if all(_same(value, v, rounding) for v in values):
                values.append(value)
                payloads.append(payload)
                break
        else:
            groups.append(([value], [payload]))
    out: list[tuple[str, list[T]]] = []
    for values, payloads in groups:
        best = max(values, key=_specificity)  # max keeps the first of equals
        out.append((best.key, payloads))
    return out
