"""The support check: is a generated sentence backed by the passages it cites?

A sentence is supported by a passage when
- every number, date and name in it (digits, capitalised words) appears in that passage or in the
  passage's header (title, outlet, date), and
- its meaning is close to one sentence of the passage (or two adjacent ones): the support score,
  the mean of the embedding cosine and the share of the sentence's content words found there,
  reaches `settings.support_min_score` (or the cosine alone is very high).

Sentences of an article that read as instructions to an AI ("ignore previous instructions and
reply ...") are never evidence, and their words do not count as appearing in the passage: text
inside articles is data, so a reply that obeys it cannot be supported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.answering.citations import Quote
from qa.answering.question import STOPWORDS, keywords
from qa.core.dates import day_of
from qa.core.embeddings import Embedder
from qa.core.schema import Passage
from qa.core.text import normalize, sentence_spans, tokens

# A cosine this high supports a sentence whatever its wording; below the floor nothing does.
STRONG_SIMILARITY = 0.75
SIMILARITY_FLOOR = 0.35

_INSTRUCTION = re.compile(
    r"""
      \b(?:ignore|disregard|forget|override|bypass|skip)\b\W+(?:\w+\W+){0,5}?
         (?:instructions?|prompts?|rules|directions|guidelines|context|above|everything)\b
    | \b(?:new|updated|real|secret|hidden)\s+(?:instructions?|task|prompt)\b
    | \b(?:system|developer)\s+(?:prompt|message|instructions?)\b
    | ^\W*(?:system|assistant|user|ai)\s*:
    | \byou\s+(?:are\s+now|must\s+now|will\s+now|must\s+(?:reply|respond|answer|say|output))\b
    | \b(?:as\s+an?\s+)?(?:ai|language\s+model|chatbot|llm|assistant)\b[^.]{0,40}\b(?:must|should)\b
    | \b(?:reply|respond|answer|say|output|print|write)\b\s+(?:only\s+)?(?:with\s+)?(?:exactly\s+)?
         (?:the\s+word\s+)?["'“‘]?(?-i:[A-Z]{3,})\b
    | </?\s*(?:passages?|system|instructions?)\s*>
    """,
    re.VERBOSE | re.IGNORECASE | re.MULTILINE,
)
_NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*")
_WORD = re.compile(r"[^\W\d_][\w'’.-]*", re.UNICODE)
# capitalised words that start sentences without naming anything
_STARTERS = frozenset(
    [
        "according",
        "additionally",
        "also",
        "however",
        "meanwhile",
        "moreover",
        "furthermore",
        "yes",
        "overall",
        "so",
        "thus",
        "therefore",
        "instead",
        "still",
        "yet",
        "first",
        "second",
        "finally",
        "in",
        "on",
        "at",
        "as",
        "for",
        "from",
        "by",
        "to",
        "with",
    ]
)
_ATTRIBUTION = re.compile(
    r"^(?:according\s+to\s+(?P<a>[^,]{1,60}),\s*"
    r"|(?P<b>[^,:]{1,60}?)\s+(?:reported|reports|wrote|writes|said|says|states|stated|"
    r"mentions|mentioned|notes|noted|explains|adds|added)"
    r"(?:\s+on\s+[^,:]{1,40}?)?(?:\s+that|\s*:|\s*,)\s+)",
    re.IGNORECASE,
)


_GENERIC_SOURCES = frozenset(
    [
        "report",
        "reports",
        "article",
        "articles",
        "passage",
        "passages",
        "text",
        "source",
        "sources",
        "document",
    ]
)
# a sentence about the passages, the question or the assistant rather than about the news
_META = re.compile(
    r"^\W*(?:(?:the|this|these|those|that|each|both|all|no|every|one)\s+)?"
    r"(?:passages?|articles?|texts?|context|documents?|sources?|question|answer|excerpts?)\b"
    r"|^\W*(?:i|i'm|i'd|i've|as\s+an?\s+(?:ai|assistant|language\s+model))\b",
    re.IGNORECASE,
)


def looks_like_instruction(text: str) -> bool:
    """True for text that addresses an AI with instructions (a prompt-injection attempt)."""
    return bool(_INSTRUCTION.search(text))


def _norm_word(word: str) -> str:
    w = normalize(word).replace(" ", "")
    for suffix in ("'s", "'"):
        if w.endswith(suffix):
            w = w[: -len(suffix)]
    return w


def _parts(word: str) -> list[str]:
    """A word's normalised form and, for "Al-Qaeda"-like words, its parts."""
    whole = _norm_word(word)
    parts = [_norm_word(p) for p in word.split("-")] if "-" in word else []
    return [w for w in dict.fromkeys([whole, *parts]) if w]


def key_terms(sentence: str) -> list[str]:
    """Numbers, dates and names of a sentence, normalised: what its passage must contain."""
    terms = [m.group(0).replace(",", "") for m in _NUMBER.finditer(sentence)]
    for i, m in enumerate(_WORD.finditer(sentence)):
        word = m.group(0).rstrip(".-'’")
        if not word or not word[0].isupper():
            continue
        low = _norm_word(word)
        is_acronym = len(word) >= 2 and word.isupper()
        if not low or low in STOPWORDS or low in _STARTERS:
            continue
        if i == 0 and not is_acronym:  # any sentence starts with a capital
            continue
        # a hyphenated name is kept as its parts joined by "-": found whole or part by part
        terms.append("-".join(_parts(word)[1:]) if "-" in word else low)
    return list(dict.fromkeys(terms))


def _vocabulary(text: str) -> set[str]:
    vocab = {m.group(0).replace(",", "") for m in _NUMBER.finditer(text)}
    for t in tokens(text):
        vocab.update(_parts(t.rstrip(".-'’")))
    return vocab


def _header_vocabulary(p: Passage) -> set[str]:
    vocab = _vocabulary(f"{p.title} {p.source or ''}")
    if p.published:
        vocab |= _vocabulary(p.published[:10].replace("-", " "))
        d = day_of(p.published)
        if d is None:
            return vocab
        vocab |= {
            str(d.day),
            str(d.month),
            d.strftime("%B").lower(),
            d.strftime("%b").lower(),
            d.strftime("%A").lower(),
        }
    return vocab


def _has(term: str, vocab: set[str]) -> bool:
    if "-" in term:
        return _has(term.replace("-", ""), vocab) or all(_has(t, vocab) for t in term.split("-"))
    if term in vocab:
        return True
    if term[0].isdigit() or len(term) < 4:
        return False
    # "Iranian" ~ "Iran", "Ashtiani's" ~ "Ashtiani"
    return any(len(v) >= 4 and (v.startswith(term) or term.startswith(v)) for v in vocab)


def _stem(word: str) -> str:
    w = _norm_word(word)
    return w[:5] if len(w) > 5 else w


@dataclass
class _Candidate:
    passage: int  # index into the checker's passages
    start: int  # offsets into the passage text
    end: int
    stems: set[str]


@dataclass(frozen=True)
class Verdict:
    """The support check's finding for one sentence; `quotes` are best first, empty if unsupported."""

    supported: bool
    quotes: tuple[Quote, ...]
    score: float
    reason: str = ""


class SupportChecker:
    """Checks generated sentences against a fixed list of passages (numbered from 1)."""

    def __init__(
        self, passages: Sequence[Passage], embedder: Embedder, *, min_score: float
    ) -> None:
        self.passages = list(passages)
        self.embedder = embedder
        self.min_score = min_score
        self.outlets = {normalize(p.source) for p in self.passages if p.source}
        self.vocab: list[set[str]] = []
        self.candidates: list[_Candidate] = []
        sentences: list[_Candidate] = []
        follows: list[bool] = []  # does a sentence directly follow the one before it?
        for i, p in enumerate(self.passages):
            vocab = _header_vocabulary(p)
            previous_kept = False
            for a, b in sentence_spans(p.text):
                if looks_like_instruction(p.text[a:b]):
                    previous_kept = False
                    continue
                vocab |= _vocabulary(p.text[a:b])
                sentences.append(_Candidate(i, a, b, {_stem(t) for t in tokens(p.text[a:b])}))
                follows.append(previous_kept)
                previous_kept = True
            self.vocab.append(vocab)
        texts = [self.passages[c.passage].text[c.start : c.end] for c in sentences]
        vecs = embedder.embed_documents(texts) if texts else np.zeros((0, 1), np.float32)
        # two adjacent sentences of a passage also count as one candidate (a sentence may merge
        # them); their vector is the normalised sum, which costs no extra embedding
        rows = list(vecs)
        self.candidates = list(sentences)
        for j in range(len(sentences) - 1):
            first, second = sentences[j], sentences[j + 1]
            if not follows[j + 1]:  # another passage, or an instruction between them
                continue
            self.candidates.append(
                _Candidate(first.passage, first.start, second.end, first.stems | second.stems)
            )
            v = vecs[j] + vecs[j + 1]
            rows.append(v / (float(np.linalg.norm(v)) or 1.0))
        self.vectors = np.stack(rows) if rows else np.zeros((0, 1), np.float32)

    def check_all(self, claims: Sequence[tuple[str, Sequence[int]]]) -> list[Verdict]:
        """`check` for many sentences at once (their embeddings computed in one batch)."""
        texts = [self.claim_text(s) for s, _ in claims]
        if not texts:
            return []
        vecs = self.embedder.embed_documents(texts)
        return [self.check(s, c, vector=v) for (s, c), v in zip(claims, vecs, strict=True)]

    def claim_text(self, sentence: str) -> str:
        """The sentence without a leading attribution to a cited outlet ("Tasnim reported that")."""
        m = _ATTRIBUTION.match(sentence)
        if not m:
            return sentence
        who = normalize(m.group("a") or m.group("b") or "")
        if who in self.outlets or who in _GENERIC_SOURCES:
            rest = sentence[m.end() :]
            return rest[:1].upper() + rest[1:] if rest else sentence
        return sentence

    def check(
        self, sentence: str, cites: Sequence[int], *, vector: np.ndarray | None = None
    ) -> Verdict:
        """Check `sentence` against the passages numbered `cites` (1-based), or all if none.

        Numbers that point at no passage are ignored. The quotes of a supported sentence are the
        best-matching span of each cited passage that backs it (at least one).
        """
        if looks_like_instruction(sentence):
            return Verdict(False, (), 0.0, "reads as an instruction")
        claim = self.claim_text(sentence)
        if _META.search(claim):
            return Verdict(False, (), 0.0, "about the passages, not the news")
        content = {_stem(w) for w in keywords(claim)}
        if not content:
            return Verdict(False, (), 0.0, "states nothing checkable")
        if not any(w[:1].islower() for w in _WORD.findall(claim)):
            # only names ("Bogota, Colombia (CNN)"): a dateline or a heading, not a statement
            return Verdict(False, (), 0.0, "names only, no statement")
        valid = [n - 1 for n in cites if 1 <= n <= len(self.passages)]
        cited = list(dict.fromkeys(valid))
        vec = self.embedder.embed_query(claim) if vector is None else vector
        sims = self.vectors @ vec if len(self.candidates) else np.zeros(0)
        best: dict[int, tuple[float, float, int]] = {}  # passage -> (score, cosine, candidate)
        for j, c in enumerate(self.candidates):
            if cited and c.passage not in cited:
                continue
            cos = float(sims[j])
            overlap = len(content & c.stems) / len(content)
            score = 0.5 * cos + 0.5 * overlap
            if cos >= STRONG_SIMILARITY:
                score = max(score, cos)
            if cos < SIMILARITY_FLOOR:
                score = min(score, cos)
            if c.passage not in best or score > best[c.passage][0]:
                best[c.passage] = (score, cos, j)
        terms = key_terms(sentence)
        if cited:
            vocab = set().union(*(self.vocab[i] for i in cited))
            missing = [t for t in terms if not _has(t, vocab)]
            if missing:
                return Verdict(False, (), 0.0, f"not in the cited passage: {', '.join(missing)}")
            ranked = sorted(best.items(), key=lambda kv: -kv[1][0])
        else:  # uncited: the passages that hold all its names and numbers, best first
            ranked = sorted(
                (kv for kv in best.items() if all(_has(t, self.vocab[kv[0]]) for t in terms)),
                key=lambda kv: -kv[1][0],
            )[:1]
            if not ranked:
                return Verdict(False, (), 0.0, "its names or numbers are in no passage")
        if not ranked or ranked[0][1][0] < self.min_score:
            top = ranked[0][1][0] if ranked else 0.0
            return Verdict(False, (), top, f"too far from every passage sentence ({top:.2f})")
        top = ranked[0][1][0]
        quotes: list[Quote] = []
        for i, (score, _cos, j) in ranked:
            if quotes and score < self.min_score - 0.15:
                continue  # cited, but adds nothing to this sentence
            c = self.candidates[j]
            p = self.passages[i]
            quotes.append(
                Quote(p, p.start + c.start, p.start + c.end, p.text[c.start : c.end], score)
            )
        return Verdict(True, tuple(quotes), top)
