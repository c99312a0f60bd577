"""The extractive answerer: quote the sentences of the retrieved passages that best answer the question.

The candidate sentences (every sentence of the retrieved passages and of the best articles) are
shortlisted by the question's rarer words and article rank; the trained reader
(`qa.answering.reader`) rates each for whether it answers and marks the short answer in it. The
best-rated sentence is quoted first, with up to two more that also answer; when none reaches the
reader's calibrated threshold the answer is a refusal with the closest passages as related
reading. Every quoted sentence is an exact span of a stored article, so every `[n]` is checkable.
`answer_scorer = "heuristic"` keeps the hand-tuned score of earlier releases for comparison.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np

from qa.answering.composition import (
    Composed,
    compose,
    credit,
    differ_text,
    support_text,
    support_words,
)
from qa.answering.composition import count_words as _count_words
from qa.answering.question import elliptical_subject, keywords, without_time
from qa.answering.reader import calibrated_threshold, get_reader
from qa.answering.retrieval import Retrieval
from qa.answering.timescope import in_scope, time_scope
from qa.answering.versions import Found, find_versions, speakers
from qa.core.dates import format_day
from qa.core.embeddings import get_embedder
from qa.core.schema import Answer, Diagnostics, Passage
from qa.core.settings import Settings
from qa.core.text import sentence_spans, tokens
from qa.store import Store

REFUSAL = "The ingested articles don't cover this."

# a further sentence joins the answer when it scores at least this share of the best one's score;
# another article's sentence must score higher, because each new source brings a new claim
SAME_ARTICLE_RATIO = 0.5
OTHER_ARTICLE_RATIO = 0.8

_WORD = re.compile(r"\S+")


@dataclass
class _Sentence:
    passage: Passage
    rank: int  # rank of the passage's article among the retrieved articles
    start: int  # offsets into the article text
    end: int
    text: str
    cos: float = 0.0
    coverage: float = 0.0
    agreement: float = 0.0
    score: float = 0.0
    vec: np.ndarray | None = None
    cut: bool = False  # quoted only up to the word budget
    cut_front: bool = False  # quoted from further on, to keep the short answer within it
    span: tuple[int, int] | None = None  # the reader's short answer, offsets into `text`
    speaker: str | None = None  # who the sentence says makes its claim (set when composing)


def _cut(s: _Sentence, max_words: int) -> None:
    """Shorten `s` to its first `max_words` words, or to the `max_words` that end with its short
    answer when that lies further on (still an exact span of the article)."""
    words = [m for m in _WORD.finditer(s.text) if any(ch.isalnum() for ch in m.group(0))]
    if len(words) <= max_words:
        return
    n, lo = max(1, max_words), 0
    if s.span is not None and s.span[1] > words[n - 1].end():  # the short answer lies further
        last = next((i for i, w in enumerate(words) if w.end() >= s.span[1]), len(words) - 1)
        lo = max(0, last - n + 1)
        if words[lo].start() > s.span[0]:  # longer than the budget: keep its start at least
            lo = next(i for i, w in enumerate(words) if w.end() > s.span[0])
    hi = min(lo + n, len(words)) - 1
    begin = words[lo].start()
    s.text = s.text[begin : words[hi].end()].rstrip(",;:")
    s.start, s.end = s.start + begin, s.start + begin + len(s.text)
    if s.span is not None:
        a, b = s.span[0] - begin, s.span[1] - begin
        s.span = (a, b) if 0 <= a < b <= len(s.text) else None
    s.cut, s.cut_front = hi < len(words) - 1, begin > 0


def _stem(word: str) -> str:
    """A crude stem for matching question words to sentence words (exports ~ export ~ exporting)."""
    w = word.lower().strip("'’.-")
    if w.endswith("'s") or w.endswith("’s"):
        w = w[:-2]
    return w[:6] if len(w) > 6 else w


def _idf(words: list[str], store: Store) -> dict[str, float]:
    n, freqs = store.term_stats(words)
    return {w: math.log(1.0 + (n + 1) / (freqs.get(w, 0) + 1)) for w in words}


def extractive_answer(
    question: str,
    retrieval: Retrieval,
    *,
    settings: Settings,
    store: Store,
    previous: str | None = None,
) -> Answer:
    """Compose a short, cited answer from the retrieved passages, or refuse.

    `previous` is the earlier question a follow-up refers to ("what about the pools?"): the
    reader reads the follow-up with it.

    The best sentence comes first; up to `answer_max_sentences` sentences that add something
    follow, within `answer_max_words` words. Each carries `[n]`, its citation quoting it exactly.
    """
    t0 = time.perf_counter()
    passages = retrieval.passages
    if not passages:
        return _refusal(question, passages, retrieval, t0)
    # a question about a time is answered only from articles of that time
    scope = time_scope(retrieval.hint, settings)
    usable = [p for p in passages if in_scope(p, scope)]
    if not usable:
        return _refusal(question, passages, retrieval, t0, scope=scope)

    article_rank: dict[str, int] = {}
    for p in usable:
        article_rank.setdefault(p.article_id, len(article_rank))
    # the answer sentence may sit in a passage of a top article that was not retrieved itself
    extra = _more_of_top_articles(usable, article_rank, settings, store)
    sents: list[_Sentence] = []
    for p in usable + extra:
        for a, b in sentence_spans(p.text):
            text = p.text[a:b]
            if len(_WORD.findall(text)) < 4 or text.endswith("?"):
                continue
            sents.append(_Sentence(p, article_rank[p.article_id], p.start + a, p.start + b, text))
    if not sents:
        return _refusal(question, passages, retrieval, t0)

    # words carried over from earlier turns count half as much as the question's own
    weight = {w: 1.0 for w in retrieval.keywords}
    for w in retrieval.carried:
        weight.setdefault(w, 0.5)
    idf = {w: v * weight[w] for w, v in _idf(list(weight), store).items()} if weight else {}
    total_idf = sum(idf.values()) or 1.0
    q_stems = {_stem(w): w for w in weight}
    for s in sents:
        stems = {_stem(t) for t in tokens(s.text)}
        s.coverage = sum(idf[w] for st, w in q_stems.items() if st in stems) / total_idf
        s.score = 0.7 * s.coverage + 0.3 / (1 + s.rank)
    sents.sort(key=lambda s: (-s.score, s.rank, s.start))
    # the reader was trained on questions answered by a span; a yes/no question has none, so
    # the heuristic judges those
    if settings.answer_scorer == "reader" and not is_yes_no(question):
        shortlist = sents[: settings.reader_candidates]
        asked = reader_questions(without_time(question), retrieval, previous)
        subject = elliptical_subject(question) if previous else None
        if subject:  # "what about X?": a sentence must say something about X
            about = set(keywords(subject))
            named = [s for s in shortlist if about & set(tokens(s.text))]
            shortlist = named or shortlist
        return _read(asked, question, shortlist, passages, retrieval, settings, t0, store)
    # embedding is the expensive part: only a shortlist of sentences is embedded
    sents = sents[: settings.answer_candidates]
    vecs = get_embedder(settings).embed_documents([s.text for s in sents])
    q = retrieval.query_vector
    for s, v in zip(sents, vecs, strict=True):
        s.vec = v
        s.cos = float(v @ q)
    # agreement: the same fact stated in another article
    if len(article_rank) > 1:
        sims = vecs @ vecs.T
        for i, s in enumerate(sents):
            others = [
                sims[i, j]
                for j, o in enumerate(sents)
                if o.passage.article_id != s.passage.article_id
            ]
            s.agreement = float(max(others)) if others else 0.0
    for s in sents:
        s.score = (
            0.45 * s.cos
            + 0.40 * s.coverage
            + 0.10 / (1 + s.rank)
            + 0.05 * max(0.0, s.agreement - 0.5) * 2
        )
    sents.sort(key=lambda s: (-s.score, s.rank, s.start))
    best = sents[0]
    # how well the closest passage matches the question, and how much of the question's rarer
    # words the best sentence holds; weights and `min_evidence` calibrated on RealTime QA with half
    # the gold articles left out (README, "Evaluation")
    best_dense = max((retrieval.dense_sims.get(p.chunk_id, 0.0) for p in usable), default=0.0)
    evidence = 0.6 * max(best.cos, best_dense) + 0.4 * best.coverage
    if evidence < settings.min_evidence:
        return _refusal(question, passages, retrieval, t0, evidence)

    def same(a: _Sentence, b: _Sentence) -> bool:
        return a.vec is not None and b.vec is not None and float(a.vec @ b.vec) > 0.85

    return _answer(
        question, sents, passages, retrieval, settings, t0, evidence, same=same, store=store
    )


_YES_NO = re.compile(
    r"^\s*(?:is|are|was|were|has|have|had|does|do|did|will|would|can|could|should|shall|may|"
    r"might|must)\b",
    re.IGNORECASE,
)


def is_yes_no(question: str) -> bool:
    """A question answered by yes or no ("Has the Fed raised rates?"), not by a span."""
    return bool(_YES_NO.match(question))


def reader_questions(question: str, retrieval: Retrieval, previous: str | None) -> list[str]:
    """What the reader is asked. A follow-up with a question of its own ("and who is acting
    president now?") is read as it is (retrieval already carried the topic over); one that means
    nothing alone ("who said that?") is read with the question it follows; for an elliptical one
    ("what about X?") the earlier question alone also counts (a sentence about X that answers it
    answers the follow-up). Without the earlier question, the words carried over stand in."""
    if not retrieval.carried:
        return [question]
    if previous and elliptical_subject(question):
        return [f"{previous} {question}", without_time(previous)]
    if len(keywords(question)) >= 2:  # a question of its own ("and who is acting president?")
        return [question]
    if previous:  # "who said that?": nothing to read without the question it follows
        return [f"{previous} {question}"]
    return [f"{question} ({' '.join(retrieval.carried)})"]


def _read(
    asked: list[str],
    question: str,
    shortlist: list[_Sentence],
    passages: list[Passage],
    retrieval: Retrieval,
    settings: Settings,
    t0: float,
    store: Store | None = None,
) -> Answer:
    """Rate the shortlist with the reader; quote what answers, or refuse."""
    reader = get_reader(settings.reader_model)
    texts = [s.text for s in shortlist]
    titles = [s.passage.title or "" for s in shortlist]
    scores = reader.score(asked[0], texts, titles)
    for other in asked[1:]:  # the best reading of each sentence counts
        again = reader.score(other, texts, titles)
        scores = [max(a, b, key=lambda x: x.p) for a, b in zip(scores, again, strict=True)]
    for s, sc in zip(shortlist, scores, strict=True):
        s.score = sc.p
        if sc.start is not None and sc.end is not None:
            s.span = (sc.start, sc.end)
    shortlist.sort(key=lambda s: (-s.score, s.rank, s.start))
    best = shortlist[0]
    threshold = (
        settings.reader_threshold
        if settings.reader_threshold is not None
        else calibrated_threshold(settings.reader_model)
    )
    if best.score < threshold:
        return _refusal(question, passages, retrieval, t0, best.score)
    return _answer(
        question,
        shortlist,
        passages,
        retrieval,
        settings,
        t0,
        best.score,
        floor=threshold,  # each further sentence must answer too
        same=lambda a, b: _overlap(a.text, b.text) > 0.6,  # a wire copy, a restatement
        store=store,
    )


def _answer(
    question: str,
    ranked: list[_Sentence],
    passages: list[Passage],
    retrieval: Retrieval,
    settings: Settings,
    t0: float,
    evidence: float,
    *,
    same: Callable[[_Sentence, _Sentence], bool],
    floor: float = float("-inf"),
    store: Store | None = None,
) -> Answer:
    """The answer from `ranked` (best first): the best sentence, then up to
    `answer_max_sentences` in all that score at least `floor`, are nearly as good as the best and
    say something new (not `same` as one chosen), within `answer_max_words` words.

    With the reader (a finite `floor`), the best sentence's short answer is compared with what
    the other articles answer (`qa.answering.versions`): when they differ, the answer shows each
    version instead; when others agree, it names them after the quotes."""
    best = ranked[0]
    found = None
    if floor > float("-inf"):  # with the reader: what do the other articles answer?
        ask_again = not retrieval.carried  # (a follow-up is read with words the reader lacks here)
        reader = get_reader(settings.reader_model)
        found = find_versions(
            ranked,
            floor,
            store,
            passages=passages,
            keywords=retrieval.keywords,
            rate=(
                (lambda texts, titles: reader.score(question, texts, titles)) if ask_again else None
            ),
        )
    if found is not None and found.agreement == "differ":  # each version, never blended
        done = differ_text(found, settings.answer_max_words)
        return _answered(question, done, found, passages, retrieval, t0, evidence)
    for s, who in zip(ranked, speakers(ranked, store), strict=True):
        s.speaker = who
    # the word budget covers the whole answer, attributions ("Tasnim reported on 21 June 2022:")
    # included, and the outlets that agree; a sentence longer than all of it is quoted up to it
    budget = settings.answer_max_words - (support_words(found) if found is not None else 0)
    _cut(
        best,
        budget
        - _count_words(
            credit(best.passage.source, best.passage.published, best.speaker, quote=best.text)
        ),
    )
    chosen = [best]
    for s in ranked[1:]:
        if len(chosen) >= settings.answer_max_sentences:
            break
        # another article's sentence must be nearly as good: each new source is a new claim
        one_article = s.passage.article_id == best.passage.article_id
        ratio = SAME_ARTICLE_RATIO if one_article else OTHER_ARTICLE_RATIO
        if s.score < floor or s.score < ratio * best.score:
            continue
        if any(same(s, c) for c in chosen):
            continue  # says the same thing again
        trial = _in_reading_order([*chosen, s], best)
        if _count_words(compose(trial)[0]) > budget:
            continue
        chosen.append(s)
    chosen = _in_reading_order(chosen, best)
    text, citations = compose(chosen)
    short = None
    if best.span is not None and best.span[1] <= len(best.text):
        short = best.text[best.span[0] : best.span[1]]
    done = Composed(text, tuple(citations), (), short)
    if found is not None:  # the other outlets that state the same value
        done = support_text(text, citations, found, settings.answer_max_words)
    return _answered(question, done, found, passages, retrieval, t0, evidence)


def _answered(
    question: str,
    done: Composed,
    found: Found | None,
    passages: list[Passage],
    retrieval: Retrieval,
    t0: float,
    evidence: float,
) -> Answer:
    return Answer(
        question=question,
        text=done.text,
        citations=done.citations,
        passages=tuple(passages),
        answered=True,
        answerer="extractive",
        timings={**retrieval.timings, "answer": time.perf_counter() - t0},
        diagnostics=Diagnostics(evidence=round(evidence, 4)),
        short_answer=done.short_answer,
        versions=done.versions,
        agreement=found.agreement if found is not None else None,
    )


def _overlap(a: str, b: str) -> float:
    """Share of the shorter sentence's words that the other one has too."""
    wa, wb = set(tokens(a)), set(tokens(b))
    return len(wa & wb) / max(1, min(len(wa), len(wb)))


def _in_reading_order(chosen: list[_Sentence], best: _Sentence) -> list[_Sentence]:
    """Article order (best article first), but the single best sentence always leads."""
    rest = sorted((c for c in chosen if c is not best), key=lambda c: (c.rank, c.start))
    return [best, *rest]


def _more_of_top_articles(
    usable: list[Passage], article_rank: dict[str, int], settings: Settings, store: Store
) -> list[Passage]:
    """The passages of the `answer_read_articles` best articles that retrieval did not return."""
    top = [aid for aid, r in article_rank.items() if r < settings.answer_read_articles]
    if not top:
        return []
    have = {p.chunk_id for p in usable}
    out = []
    for cid, row in sorted(store.article_chunks(top).items(), key=lambda kv: kv[1]["start"]):
        if cid in have:
            continue
        out.append(Passage.from_row(row, score=0.0))
    return out


def _refusal(
    question: str,
    passages: list[Passage],
    retrieval: Retrieval,
    t0: float,
    evidence: float = 0.0,
    scope: tuple[date, date] | None = None,
) -> Answer:
    text = REFUSAL
    if scope is not None:  # nothing retrieved is from the period asked about
        text += (
            f" Nothing found from {format_day(scope[0])} to {format_day(scope[1])},"
            " the time the question asks about; the related passages are from other dates."
        )
    return Answer(
        question=question,
        text=text,
        citations=(),
        passages=tuple(passages),
        answered=False,
        answerer="extractive",
        timings={**retrieval.timings, "answer": time.perf_counter() - t0},
        diagnostics=Diagnostics(evidence=round(evidence, 4)),
    )
