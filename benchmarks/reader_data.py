"""Training data for the reader: openly licensed QA sets read from ../shared/train, turned into
(question, sentence) examples with answer spans and hard negatives.

Every loader returns `QAItem`s (a question on a paragraph, with character spans of its answers or
none). `build_examples` turns them into what the reader reads at answer time: one sentence of a
passage, with the answer span inside it, or a sentence that does not answer:

- the answer sentence (positive, with its span);
- other sentences of the same paragraph, the most question-like first (hard negatives);
- sentences of other paragraphs of the same article that share the question's words
  (same-entity negatives);
- the question itself as the passage (a news quiz page restates its questions);
- for SQuAD 2.0's unanswerable questions, the paragraph's sentences closest to the question;
- optionally, sentences of other articles that share the question's rarer words (same names,
  another story).

XQuAD is an evaluation set: every paragraph that also occurs in XQuAD is dropped here (SQuAD 2.0
dev holds 173 of its 240 contexts). Nothing of the evaluation sets' questions or answers is read.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import html
import json
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from qa.core.text import sentence_spans, tokens

# common words that say nothing about whether a sentence answers
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "and",
        "or",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "did",
        "do",
        "does",
        "that",
        "this",
        "these",
        "those",
        "it",
        "its",
        "as",
        "into",
        "than",
        "then",
        "there",
        "their",
        "his",
        "her",
        "he",
        "she",
        "they",
        "we",
        "you",
        "i",
        "not",
        "no",
        "name",
        "one",
    ]
)


@dataclass(frozen=True)
class QAItem:
    """A question on a paragraph; `answers` are (start, end) spans of `context`, none if unanswerable."""

    source: str
    article: str
    context: str
    question: str
    answers: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Example:
    """What the reader reads: a question and one sentence; `span` is the answer inside `text`."""

    question: str
    text: str
    span: tuple[int, int] | None
    kind: str  # pos | neg-para | neg-article | neg-cross | neg-question | neg-unanswerable
    source: str
    article: str
    title: str = ""  # the article's title as the reader sees it ("" when it has none)
    group: int = -1  # examples of one question share a group (the listwise loss compares them)


# sources whose "article" names a collection, not a page: no title worth reading
_UNTITLED = frozenset({"shifts-reddit", "shifts-amazon"})


def title_of(item: QAItem) -> str:
    """The title the reader reads beside a sentence of `item` (Wikipedia's underscores undone)."""
    if item.source in _UNTITLED:
        return ""
    return item.article.replace("_", " ").strip()


def _norm_ws(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------- loaders


class _ExplorerPage(HTMLParser):
    """One SQuAD explorer page: <h1 id=title>, then per paragraph <pre>context</pre> and its
    <strong class=question> / <span class=answer> pairs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.paragraphs: list[tuple[str, list[tuple[str, str]]]] = []
        self._field: str | None = None
        self._buf: list[str] = []
        self._question: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "h1" and a.get("id") == "title":
            self._field = "title"
        elif tag == "pre":
            self._field = "context"
        elif tag == "strong" and a.get("class") == "question":
            self._field = "question"
        elif tag == "span" and a.get("class") == "answer":
            self._field = "answer"
        else:
            return
        self._buf = []

    def handle_data(self, data: str) -> None:
        if self._field:
            self._buf.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._field is None or tag not in ("h1", "pre", "strong", "span"):
            return
        text = html.unescape("".join(self._buf))
        field, self._field = self._field, None
        if field == "title":
            self.title = text.strip()
        elif field == "context":
            self.paragraphs.append((text, []))
        elif field == "question":
            self._question = text.strip()
        elif field == "answer" and self._question is not None and self.paragraphs:
            self.paragraphs[-1][1].append((self._question, text.strip()))
            self._question = None


def load_squad1_explorer(folder: Path) -> Iterator[QAItem]:
    """SQuAD v1.1 train from the explorer's HTML pages (answer offset = first occurrence)."""
    for page in sorted((folder / "explore" / "1.1" / "train").glob("*.html")):
        parser = _ExplorerPage()
        parser.feed(page.read_text(encoding="utf-8"))
        title = parser.title or page.stem
        for context, qas in parser.paragraphs:
            for question, answer in qas:
                at = context.find(answer)
                if at < 0 or not answer:
                    continue
                yield QAItem("squad1", title, context, question, ((at, at + len(answer)),))


def load_squad_json(path: Path, source: str) -> Iterator[QAItem]:
    """The official SQuAD JSON format (v1.1 or v2.0 with `is_impossible`)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for article in data["data"]:
        title = article.get("title", path.stem)
        for para in article["paragraphs"]:
            context = para["context"]
            for qa in para["qas"]:
                spans = []
                if not qa.get("is_impossible"):
                    for ans in qa.get("answers", []):
                        s = int(ans["answer_start"])
                        e = s + len(ans["text"])
                        if context[s:e] == ans["text"] and ans["text"]:
                            spans.append((s, e))
                    if not spans:
                        continue  # misaligned answerable: skip rather than mislabel
                yield QAItem(
                    source, str(title), context, qa["question"], tuple(dict.fromkeys(spans))
                )


def _as_list(value: object) -> list[str]:
    """A sheet cell holding a list repr, or a single value."""
    text = str(value)
    if text.startswith("["):
        try:
            return [str(v) for v in ast.literal_eval(text)]
        except (ValueError, SyntaxError):
            pass
    return [text]


def load_squad2_dev_sheet(path: Path) -> Iterator[QAItem]:
    """SQuAD 2.0 dev from the Excel sheet: context is a list repr split at newlines."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [str(h) for h in next(rows)]
    col = {name: i for i, name in enumerate(header)}
    for row in rows:
        if row[col["question"]] is None:
            continue
        context = "\n".join(ast.literal_eval(str(row[col["context"]])))
        impossible = str(row[col["is_impossible"]]).strip() in ("1", "True", "true")
        spans: list[tuple[int, int]] = []
        if not impossible:
            texts = _as_list(row[col["answers"]])
            starts = _as_list(row[col["answer_start"]])
            for t, s in zip(texts, starts, strict=False):
                s = int(s)
                if t and context[s : s + len(t)] == t:
                    spans.append((s, s + len(t)))
            if not spans:
                continue
        yield QAItem(
            "squad2dev",
            str(row[col["title"]]),
            context,
            str(row[col["question"]]),
            tuple(dict.fromkeys(spans)),
        )
    wb.close()


def load_qed(folder: Path) -> Iterator[QAItem]:
    """QED / Natural Questions train shards (real search queries; NQ-tokenised text)."""
    for path in sorted(folder.glob("nq-train-*-qed.jsonlines")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            context = rec["paragraph_text"]
            spans = tuple(
                (int(s), int(e))
                for s, e in rec.get("answer_spans", [])
                if 0 <= s < e <= len(context)
            )
            if not spans:
                continue
            q = rec["question_text"].strip()
            q = q[0].upper() + q[1:] + ("" if q.endswith("?") else "?")
            yield QAItem("qed", rec.get("title_text", ""), context, q, spans)


def xquad_contexts(path: Path) -> set[str]:
    """XQuAD's paragraphs (whitespace-normalised), to keep them out of training."""
    if not path.is_file():
        return set()
    data = json.loads(path.read_text(encoding="utf-8"))
    return {_norm_ws(p["context"]) for a in data["data"] for p in a["paragraphs"]}


def load_all(train_dir: Path, xquad: Path) -> tuple[list[QAItem], dict[str, int]]:
    """Every training item, XQuAD paragraphs removed; and counts per source (for the card)."""
    banned = xquad_contexts(xquad)
    sources: list[Iterable[QAItem]] = [
        load_squad1_explorer(train_dir / "squad1_train_explorer_html"),
        load_squad2_dev_sheet(train_dir / "squad2_dev_xlsx" / "squad_2.0_dev_complete_11873.xlsx"),
        # only its unanswerable questions are new (its answerable ones are in SQuAD 1.1 train)
        (
            it
            for it in load_squad_json(
                train_dir / "squad2_train_subset" / "train-v2.0.json", "squad2train"
            )
            if not it.answers
        ),
        load_squad_json(train_dir / "squadshifts" / "new_wiki_v1.0.json", "shifts-wiki"),
        load_squad_json(train_dir / "squadshifts" / "reddit_v1.0.json", "shifts-reddit"),
        load_squad_json(train_dir / "squadshifts" / "amazon_reviews_v1.0.json", "shifts-amazon"),
        load_qed(train_dir / "qed_nq"),
    ]
    items: list[QAItem] = []
    counts: dict[str, int] = defaultdict(int)
    for src in sources:
        for it in src:
            if _norm_ws(it.context) in banned:
                counts[f"dropped-xquad:{it.source}"] += 1
                continue
            counts[it.source] += 1
            items.append(it)
    return items, dict(counts)


# ---------------------------------------------------------------- splits and examples


def is_heldout(item: QAItem, share: float) -> bool:
    """A stable split by article: held-out articles are never trained on."""
    h = hashlib.sha256(f"{item.source}|{item.article}".encode()).digest()
    return int.from_bytes(h[:4], "big") / 2**32 < share


def content_words(text: str) -> set[str]:
    return {t for t in tokens(text) if t not in _STOP and len(t) > 1}


def overlap(question_words: set[str], text: str) -> float:
    if not question_words:
        return 0.0
    return len(question_words & content_words(text)) / len(question_words)


def _sentences(context: str) -> list[tuple[int, int]]:
    spans = sentence_spans(context)
    return [(a, b) for a, b in spans if len(context[a:b].split()) >= 3] or spans


def answer_sentence(context: str, span: tuple[int, int]) -> tuple[int, int] | None:
    """The sentence (or run of sentences) holding the whole answer span."""
    spans = sentence_spans(context)
    first = next((i for i, (a, b) in enumerate(spans) if a <= span[0] < b), None)
    last = next((i for i, (a, b) in enumerate(spans) if a < span[1] <= b), None)
    if first is None or last is None or last - first > 1:
        return None
    return spans[first][0], spans[last][1]


def _mentions(text: str, answers: Iterable[str]) -> bool:
    low = text.lower()
    return any(a.lower() in low for a in answers if len(a) >= 2)


def _example(
    item: QAItem, title: str, group: int, text: str, span: tuple[int, int] | None, kind: str
) -> Example:
    return Example(item.question, text, span, kind, item.source, item.article, title, group)


class SentenceIndex:
    """The sentences of a pool of paragraphs, found by the rarer words they share with a question:
    where cross-article negatives come from (another article's sentence about the same names)."""

    MAX_DF = 0.01  # words in more than this share of the sentences are not looked up

    def __init__(self, items: Iterable[QAItem]) -> None:
        self.sentences: list[tuple[str, str, str]] = []  # (text, article key, title)
        seen: set[str] = set()
        for it in items:
            if it.context in seen:
                continue
            seen.add(it.context)
            key = f"{it.source}|{it.article}"
            for a, b in _sentences(it.context):
                self.sentences.append((it.context[a:b], key, title_of(it)))
        df: dict[str, int] = defaultdict(int)
        words = [content_words(t) for t, _, _ in self.sentences]
        for ws in words:
            for w in ws:
                df[w] += 1
        cap = max(2, int(self.MAX_DF * len(self.sentences)))
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, ws in enumerate(words):
            for w in ws:
                if df[w] <= cap:
                    self.postings[w].append(i)
        self.idf = {w: 1.0 / n for w, n in df.items()}

    def closest(
        self, question: str, article: str, answers: list[str], k: int
    ) -> list[tuple[str, str]]:
        """Up to `k` (text, title) of other articles' sentences sharing the most of the question's
        rarer words (at least two), none mentioning an answer."""
        score: dict[int, float] = defaultdict(float)
        hits: dict[int, int] = defaultdict(int)
        for w in content_words(question):
            for i in self.postings.get(w, ()):
                score[i] += self.idf[w]
                hits[i] += 1
        out: list[tuple[str, str]] = []
        for i in sorted(score, key=lambda j: -score[j]):
            text, key, title = self.sentences[i]
            if hits[i] < 2 or key == article or _mentions(text, answers):
                continue
            out.append((text, title))
            if len(out) >= k:
                break
        return out


def build_examples(
    items: list[QAItem],
    *,
    seed: int,
    para_negatives: int = 2,
    article_negatives: int = 2,
    question_negative_rate: float = 0.08,
    cross_negatives: int = 0,
    pool: SentenceIndex | None = None,
) -> list[Example]:
    """Examples for every item: the answer sentence and its hard negatives (module docstring).
    With `cross_negatives`, also that many sentences of other articles in `pool` that share the
    question's rarer words (same names, another story: what a news search returns beside the
    answer)."""
    rng = random.Random(seed)
    by_article: dict[tuple[str, str], list[str]] = defaultdict(list)
    for it in items:
        key = (it.source, it.article)
        if not by_article[key] or by_article[key][-1] != it.context:
            by_article[key].append(it.context)
    out: list[Example] = []
    for group, it in enumerate(items):
        example = functools.partial(_example, it, title_of(it), group)
        qwords = content_words(it.question)
        answers = [it.context[s:e] for s, e in it.answers]
        sents = _sentences(it.context)
        used: set[tuple[int, int]] = set()
        if it.answers:
            s, e = it.answers[0]
            where = answer_sentence(it.context, (s, e))
            if where is None:
                continue
            a, b = where
            used.add(where)
            out.append(example(it.context[a:b], (s - a, e - a), "pos"))
        # the paragraph's other sentences, the most question-like first, then a random one
        others = [
            (a, b)
            for a, b in sents
            if (a, b) not in used
            and not any(a < se and sb < b for sb, se in it.answers)
            and not _mentions(it.context[a:b], answers)
        ]
        others.sort(key=lambda ab: -overlap(qwords, it.context[ab[0] : ab[1]]))
        n_para = para_negatives if it.answers else para_negatives + 1
        picked = others[: max(1, n_para - 1)]
        rest = others[len(picked) :]
        if rest and len(picked) < n_para:
            picked.append(rng.choice(rest))
        kind = "neg-para" if it.answers else "neg-unanswerable"
        for a, b in picked:
            out.append(example(it.context[a:b], None, kind))
        # same article, another paragraph: same entities, no answer
        paras = [c for c in by_article[(it.source, it.article)] if c != it.context]
        if paras and article_negatives:
            cands = []
            for c in rng.sample(paras, min(4, len(paras))):
                for a, b in _sentences(c):
                    t = c[a:b]
                    if not _mentions(t, answers):
                        cands.append((overlap(qwords, t), t))
            cands.sort(key=lambda x: -x[0])
            for _, t in cands[:article_negatives]:
                out.append(example(t, None, "neg-article"))
        if cross_negatives and pool is not None:
            key = f"{it.source}|{it.article}"
            for text, other_title in pool.closest(it.question, key, answers, cross_negatives):
                out.append(
                    Example(
                        it.question,
                        text,
                        None,
                        "neg-cross",
                        it.source,
                        it.article,
                        other_title,
                        group,
                    )
                )
        if rng.random() < question_negative_rate:
            out.append(example(it.question, None, "neg-question"))
    return out


def heldout_candidates(items: list[QAItem]) -> list[tuple[QAItem, list[str], int | None]]:
    """Held-out decision sets, as the answerer meets them: a question, its candidate sentences,
    and the index of the answer sentence (None when no candidate answers).

    Answerable questions get their paragraph's sentences; SQuAD 2.0's unanswerable ones get theirs
    (none answers); and each answerable question is asked once more with its own paragraph left out
    (other paragraphs of the article: same entities, no answer), the way the evaluation's
    negatives leave the gold articles out.
    """
    by_article: dict[tuple[str, str], list[str]] = defaultdict(list)
    for it in items:
        key = (it.source, it.article)
        if it.context not in by_article[key]:
            by_article[key].append(it.context)
    out: list[tuple[QAItem, list[str], int | None]] = []
    for it in items:
        sents = [it.context[a:b] for a, b in _sentences(it.context)]
        if not it.answers:
            out.append((it, sents, None))
            continue
        where = answer_sentence(it.context, it.answers[0])
        if where is None:
            continue
        gold = it.context[where[0] : where[1]]
        if gold not in sents:
            continue  # an answer across two sentences: no single candidate holds it
        out.append((it, sents, sents.index(gold)))
        answers = [it.context[s:e] for s, e in it.answers]
        qwords = content_words(it.question)
        pool = [
            c[a:b]
            for c in by_article[(it.source, it.article)]
            if c != it.context
            for a, b in _sentences(c)
            if not _mentions(c[a:b], answers)
        ]
        pool.sort(key=lambda t: -overlap(qwords, t))
        if pool:
            out.append((it, pool[:8], None))
    return out


def describe(examples: list[Example]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for ex in examples:
        counts[ex.kind] += 1
    return dict(counts)
