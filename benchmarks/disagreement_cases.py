"""The test set of `benchmarks.disagreement`, built from real news text at run time.

Only article text is read (RealTime QA's `gcs/` and `gold/` search hits: url, title, text, date);
never the quiz questions, answers or gold labels. Nothing is copied into the repository.

- Same-event pairs: two articles whose TF-IDF cosine (over each one's 100 heaviest terms) is at least `PAIR_MIN` (and below `COPY_MIN`,
  which would make them copies): reports of one story, often by two outlets.
- planted figure / planted name: a copy of a real article with one figure (a number, a date's day)
  or one person's surname changed in one sentence, ingested as another outlet ("Planted Wire",
  dated one day later for half of the cases, the same day for the other half). The question is a
  cloze question written from that sentence (the value replaced by "what"). Expected: "differ",
  with the original and the planted value among the versions.
- untouched copy: the same article with only a byline and a credit line added, ingested as another
  outlet (the store records it as a near-duplicate). Expected: not "differ".
- copy with another change: a copy with a figure changed in a *different* sentence than the one
  asked about (stored as its own article, since it changes a figure). Expected: not "differ" (the
  asked value is the same in both; one wire story counts once).
- agreeing reports: a same-event pair where a sentence of each states the same figure or name
  (equal normalised value) and the two sentences share at least `AGREE_WORDS` other content words;
  the question is written from the first article's sentence. Expected: not "differ". Labels are
  automatic: a second article may still hold a genuinely different value elsewhere; the benchmark
  prints every false "differ" so that they can be read.

Each case falls in the "dev" or "test" half by a hash of its id.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from qa.answering.agreement import normalize_value
from qa.core.text import sentence_spans

PAIR_MIN = 0.35
COPY_MIN = 0.9
AGREE_WORDS = 3
_TOP_TERMS = 100
_OUTLETS = {"www.cnn.com": "CNN", "www.usatoday.com": "USA Today", "www.theweek.co.uk": "The Week"}
_FIGURE = re.compile(
    r"(?<![\w.,$-])(?:US\$|\$|€|£)?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?:\s(?:million|billion|trillion))?"
    r"(?:\s?%| percent)?(?![\w,]*\d)(?![A-Za-z])|(?<![\w.,$-])(?:US\$|\$|€|£)?\d+(?:\.\d+)?"
    r"(?:\s(?:million|billion|trillion))?(?:\s?%| percent)?(?![\w.,]*\d)(?![A-Za-z])"
)
_CAPS = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+){1,2}\b")


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOP = _wordset(
    "the a an of to in on for and or but with by at from as is are was were be been has "
    "have had that this it its their his her they he she said says will would could after "
    "before over more than about into not who which what when where"
)
_MONTHS = _wordset(
    "January February March April May June July August September October November December "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday"
)


@dataclass(frozen=True)
class NewsArticle:
    """One real article as read from the evaluation corpora."""

    url: str
    title: str
    text: str
    outlet: str
    published: str | None


@dataclass(frozen=True)
class Case:
    """One question with the articles it may be answered from and what is expected.

    `copies` are articles made for the case (ingested as other outlets); `planted` is (original
    value, planted value) for a planted disagreement.
    """

    case_id: str
    kind: str
    question: str
    article_urls: tuple[str, ...]
    copies: tuple[NewsArticle, ...]
    expect_differ: bool
    planted: tuple[str, str] | None = None
    sentence: str = ""

    @property
    def split(self) -> str:
        return (
            "dev" if int(hashlib.sha256(self.case_id.encode()).hexdigest()[:8], 16) % 2 else "test"
        )


def load_articles(data: Path) -> list[NewsArticle]:
    """Every distinct article text (>= 800 characters) of RealTime QA's gcs/ and gold/ hits."""
    seen_url: set[str] = set()
    seen_text: set[str] = set()
    out = []
    files = sorted((data / "gcs").glob("*.jsonl")) + sorted((data / "gold").glob("*.jsonl"))
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            for hit in json.loads(line).get("search_result") or []:
                text = (hit.get("text") or "").strip()
                url = (hit.get("url") or "").split("?")[0].rstrip("/")  # one story, one URL
                host = url.split("/")[2] if url.count("/") >= 2 else ""
                digest = hashlib.sha256(" ".join(text.split()).encode()).hexdigest()
                if (
                    len(text) < 800
                    or url in seen_url
                    or digest in seen_text
                    or host not in _OUTLETS
                ):
                    continue
                seen_url.add(url)
                seen_text.add(digest)
                day = (hit.get("publish_date") or "").replace("/", "-")[:10] or None
                title = hit.get("title") or text.split("\n", 1)[0][:80]
                out.append(NewsArticle(url, title, text, _OUTLETS[host], day))
    return out


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP]


def same_event_pairs(articles: list[NewsArticle]) -> list[tuple[int, int, float]]:
    """(i, j, cosine) for every pair of articles with TF-IDF cosine in [PAIR_MIN, COPY_MIN),
    the cosine taken over each article's `_TOP_TERMS` heaviest terms (an inverted index)."""
    tfs = [Counter(_words(a.text)) for a in articles]
    df = Counter(w for tf in tfs for w in tf)
    n = len(articles)
    postings: dict[str, list[tuple[int, float]]] = {}
    for i, tf in enumerate(tfs):
        v = {w: (1 + math.log(c)) * math.log(n / df[w]) for w, c in tf.items() if df[w] < 0.3 * n}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        for w, x in sorted(v.items(), key=lambda kv: -kv[1])[:_TOP_TERMS]:
            postings.setdefault(w, []).append((i, x / norm))
    dots: Counter[tuple[int, int]] = Counter()
    for plist in postings.values():
        for a, (i, x) in enumerate(plist):
            for j, y in plist[a + 1 :]:
                dots[(i, j)] += x * y
    return sorted(
        (i, j, round(cos, 4)) for (i, j), cos in dots.items() if PAIR_MIN <= cos < COPY_MIN
    )


def _sentences(text: str) -> list[str]:
    out = []
    for a, b in sentence_spans(text):
        s = text[a:b]
        if 8 <= len(s.split()) <= 45 and not s.endswith("?") and "\n" not in s:
            out.append(s)
    return out


def _figures(sentence: str) -> list[tuple[int, int]]:
    out = []
    for m in _FIGURE.finditer(sentence):
        v = m.group()
        if re.fullmatch(r"(19|20)\d\d", v):
            continue  # a year
        out.append((m.start(), m.end()))
    return out


def _names(sentence: str, article: str) -> list[tuple[int, int]]:
    """Person-like names: two or three capitalised words, not at the sentence start, whose last
    word the article also uses alone (news style: "Tom Hadley ... Hadley said")."""
    out = []
    for m in _CAPS.finditer(sentence):
        words = m.group().replace("-", " ").split()
        if m.start() == 0 or any(w in _MONTHS for w in words):
            continue
        alone = len(re.findall(rf"\b{re.escape(words[-1])}\b", article))
        if alone > article.count(m.group()):
            out.append((m.start(), m.end()))
    return out


def cloze(sentence: str, a: int, b: int) -> str:
    """A question from a sentence: the value at [a, b) replaced by "what", ending in "?"."""
    before, after = sentence[:a], sentence[b:].rstrip(" .!”\"'")
    text = f"{before}what{after}?"
    return text[0].upper() + text[1:]


_MONTH_BEFORE = re.compile(
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s$"
)


def perturb_figure(value: str, rng: random.Random, day: bool = False) -> str:
    """The same figure written the same way with another value ("$48.2 million" -> "$48.7
    million"); a `day` of the month stays a day (1-28)."""
    m = re.search(r"\d[\d,]*(?:\.\d+)?", value)
    assert m is not None
    digits = m.group()
    if day and digits.isdigit():
        new = str((int(digits) - 1 + rng.randint(2, 7)) % 28 + 1)
    elif "." in digits:
        whole, frac = digits.split(".")
        last = (int(frac[-1]) + rng.randint(2, 7)) % 10
        new = f"{whole}.{frac[:-1]}{last}"
    else:
        n = int(digits.replace(",", ""))
        n2 = n + max(1, round(n * rng.uniform(0.1, 0.4)))
        new = f"{n2:,}" if "," in digits else str(n2)
    return value[: m.start()] + new + value[m.end() :]


def _shift(day: str | None, days: int) -> str | None:
    if not day:
        return None
    try:
        return (date.fromisoformat(day) + timedelta(days=days)).isoformat()
    except ValueError:
        return None


def _copy(a: NewsArticle, text: str, outlet: str, tag: str, later: bool) -> NewsArticle:
    url = f"https://{outlet.lower().replace(' ', '-')}.example/{tag}"
    return NewsArticle(url, a.title, text, outlet, _shift(a.published, 1 if later else 0))


def _value_sentences(a: NewsArticle) -> list[tuple[str, str, int, int]]:
    """(kind, sentence, start, end) for sentences with exactly one figure or one name."""
    out = []
    for s in _sentences(a.text):
        figs, names = _figures(s), _names(s, a.text)
        if len(figs) == 1 and not names:
            out.append(("figure", s, *figs[0]))
        elif len(names) == 1 and not figs:
            out.append(("name", s, *names[0]))
    return out


def planted_cases(
    articles: list[NewsArticle], pool: list[int], rng: random.Random, n: int
) -> list[Case]:
    """Planted disagreements, untouched copies and copies with another change, from `pool`."""
    # planted surnames: capitalised last words of names that the corpus never writes in lower
    # case ("Since" or "Will" would not read as a name)
    lower = {w for a in articles for w in re.findall(r"\b[a-z]+\b", a.text)}
    surnames = sorted(
        {
            w
            for a in articles
            for m in _CAPS.findall(a.text)
            if (w := m.split()[-1]).lower() not in lower
        }
    )
    cases: list[Case] = []
    order = list(pool)
    rng.shuffle(order)
    for idx in order:
        if sum(c.expect_differ for c in cases) >= n:
            break
        a = articles[idx]
        found = _value_sentences(a)
        if len(found) < 2 or a.text.count(found[0][1]) != 1:
            continue
        kind, sent, s, e = found[rng.randrange(len(found))]
        if a.text.count(sent) != 1:
            continue
        value = sent[s:e]
        if kind == "figure":
            new = perturb_figure(value, rng, day=bool(_MONTH_BEFORE.search(sent[:s])))
        else:
            others = [w for w in surnames if w != value.split()[-1] and len(w) > 3]
            new = " ".join([*value.split()[:-1], rng.choice(others)])
        changed = a.text.replace(sent, sent[:s] + new + sent[e:], 1)
        question = cloze(sent, s, e)
        later = rng.random() < 0.5
        tag = hashlib.sha256(f"{a.url}|{sent}".encode()).hexdigest()[:12]
        planted = _copy(a, changed, "Planted Wire", tag, later)
        cases.append(
            Case(
                f"planted-{tag}",
                f"planted {kind}",
                question,
                (a.url, planted.url),
                (planted,),
                True,
                (value, new),
                sent,
            )
        )
        copy_text = f"By Staff Writer\n\n{a.text}\n\n(Distributed by Copy Wire.)"
        copy = _copy(a, copy_text, "Copy Wire", tag, later)
        cases.append(
            Case(
                f"copy-{tag}",
                "untouched copy",
                question,
                (a.url, copy.url),
                (copy,),
                False,
                None,
                sent,
            )
        )
        other = [f for f in found if f[1] != sent and f[0] == "figure"]
        if other:
            _, osent, os_, oe = other[0]
            day = bool(_MONTH_BEFORE.search(osent[:os_]))
            otext = a.text.replace(
                osent, osent[:os_] + perturb_figure(osent[os_:oe], rng, day) + osent[oe:], 1
            )
            variant = _copy(a, otext, "Variant Wire", tag, later)
            cases.append(
                Case(
                    f"variant-{tag}",
                    "copy with another change",
                    question,
                    (a.url, variant.url),
                    (variant,),
                    False,
                    None,
                    sent,
                )
            )
    return cases


def agreeing_cases(
    articles: list[NewsArticle], pairs: list[tuple[int, int, float]], rng: random.Random, n: int
) -> list[Case]:
    """Same-event pairs where one sentence of each states the same figure or name."""
    cases: list[Case] = []
    order = list(pairs)
    rng.shuffle(order)
    used: Counter[int] = Counter()
    for i, j, _ in order:
        if len(cases) >= n:
            break
        if used[i] >= 2 or used[j] >= 2:  # an article in at most two cases
            continue
        a, b = articles[i], articles[j]
        theirs: dict[str, list[str]] = {}
        for _, sent, s, e in _value_sentences(b):
            theirs.setdefault(normalize_value(sent[s:e]), []).append(sent)
        for _kind, sent, s, e in _value_sentences(a):
            key = normalize_value(sent[s:e])
            mine = set(_words(sent[:s] + sent[e:]))
            match = [t for t in theirs.get(key, []) if len(mine & set(_words(t))) >= AGREE_WORDS]
            if match and a.text.count(sent) == 1:
                tag = hashlib.sha256(f"{a.url}|{b.url}|{sent}".encode()).hexdigest()[:12]
                cases.append(
                    Case(
                        f"agree-{tag}",
                        "agreeing reports",
                        cloze(sent, s, e),
                        (a.url, b.url),
                        (),
                        False,
                        None,
                        sent,
                    )
                )
                used.update((i, j))
                break
    return cases
