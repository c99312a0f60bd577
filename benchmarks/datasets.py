"""Readers for the evaluation sets: RealTime QA folders, XQuAD (SQuAD JSON) and RGB en_fact.

The data is read where it lies (licenses forbid copying it into the repository). Every reader
returns an `EvalSet`: the articles to store and the questions to ask, in a deterministic order.
An article's `key` is how gold support is matched: the normalised URL for RealTime QA, a
synthetic `xquad://title/i` or `rgb://n` id for the others.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from qa.core.errors import NewsQAError

_OUTLETS = {
    "cnn.com": "CNN",
    "usatoday.com": "USA Today",
    "theweek.co.uk": "The Week",
    "theweek.com": "The Week",
    "aaa.com": "AAA",
    "nfpa.org": "NFPA",
}


class DatasetError(NewsQAError):
    """An evaluation data set is missing or not in the expected format."""


@dataclass(frozen=True)
class EvalArticle:
    """One document of an evaluation corpus, in the shape `ingest` reads from JSON Lines."""

    key: str
    title: str
    text: str
    url: str | None = None
    published: str | None = None
    source: str | None = None
    authors: tuple[str, ...] = ()

    def to_record(self) -> dict[str, Any]:
        """The JSON Lines record for `ingest` (`{"title","text","url","published","source","authors"}`)."""
        return {
            "title": self.title,
            "text": self.text,
            "url": self.url,
            "published": self.published,
            "source": self.source,
            "authors": list(self.authors),
        }


@dataclass(frozen=True)
class EvalQuestion:
    """One question with its gold answers and the keys of the articles that support them.

    `answers` are alternatives (any one counts) unless `all_required` is set: then `answer_groups`
    holds the RGB structure (every group must appear, any alias of a group is enough).
    `leave_out` are the keys a negatives run removes for this question (gold plus search hits).
    """

    qid: str
    question: str
    answers: tuple[str, ...]
    gold_keys: tuple[str, ...]
    group: str = ""
    date: str | None = None
    evidence: str = ""
    answer_groups: tuple[tuple[str, ...], ...] = ()
    leave_out: tuple[str, ...] = ()


@dataclass
class EvalSet:
    """A corpus and its questions."""

    name: str
    articles: list[EvalArticle]
    questions: list[EvalQuestion]
    notes: list[str] = field(default_factory=list)

    def write_jsonl(self, path: Path, articles: Iterable[EvalArticle] | None = None) -> int:
        """Write `articles` (default: all) as JSON Lines for `ingest`; line N is the N-th article."""
        n = 0
        with path.open("w", encoding="utf-8") as fh:
            for a in self.articles if articles is None else articles:
                fh.write(json.dumps(a.to_record(), ensure_ascii=False) + "\n")
                n += 1
        return n


# --- helpers -------------------------------------------------------------------------------------
def normalize_url(url: str | None) -> str:
    """Gold-matching form of a URL (realtimeqa/SOURCE.md): no scheme, `?query`, `#fragment` or
    trailing `/`; lower-case host; `edition.cnn.com` read as `www.cnn.com`. Non-web ids unchanged."""
    if not url:
        return ""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https", ""):
        return url  # xquad://..., rgb://..., sha256:...
    if not parts.netloc:
        return url.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    host = parts.netloc.lower()
    if host in ("edition.cnn.com", "us.cnn.com"):
        host = "www.cnn.com"
    if host.endswith((":80", ":443")):
        host = host.rsplit(":", 1)[0]
    return host + parts.path.rstrip("/")


def outlet(url: str | None) -> str | None:
    """The outlet of a URL from its host (`www.cnn.com` -> CNN); unknown hosts give the host."""
    host = urlsplit(url or "").netloc.lower().split(":")[0]
    if not host:
        return None
    for domain, name in _OUTLETS.items():
        if host == domain or host.endswith("." + domain):
            return name
    return host.removeprefix("www.")


def strip_html(fragment: str) -> str:
    """Text of an HTML fragment (tags removed, entities decoded, whitespace collapsed)."""
    inline = re.sub(r"</?(?:a|b|i|em|strong|span|u)\b[^>]*>", "", fragment or "", flags=re.I)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def _iso_day(value: object) -> str | None:
    """A day such as 2022/06/12 as ISO 2022-06-12; None when unreadable."""
    m = re.match(r"^\s*(\d{4})[/-](\d{1,2})[/-](\d{1,2})", str(value or ""))
    return f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}" if m else None


def _title_from(text: str, limit: int = 100) -> str:
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    first = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0]
    return first if len(first) <= limit else first[: limit - 3].rsplit(" ", 1)[0] + "..."


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{number}: not JSON ({exc.msg})") from None


def _qid_order(qid: str) -> tuple[str, int]:
    week, _, n = qid.partition("_")
    return week, int(n) if n.isdigit() else 0


# --- RealTime QA ---------------------------------------------------------------------------------
def load_realtimeqa(folder: Path, limit: int | None = None) -> EvalSet:
    """Read a RealTime QA folder (`qa/`, `gold/`, optional `gcs/`, see realtimeqa/SOURCE.md).

    Articles: every gold and gcs article with text, deduplicated by normalised URL (gold first, so
    a gold article keeps its clean text; the title comes from a gcs hit of the same URL, else the
    first sentence). Questions: those with at least one gold article with text, week ascending then
    by the number after `_`. With `limit`, the first `limit` questions, and the corpus cut to the
    articles of those questions' weeks (a quick run; the haystack is then smaller).

    Raises:
        DatasetError: the folder has no `qa/` or `gold/` files.
    """
    folder = Path(folder)
    qa_files = sorted((folder / "qa").glob("*_qa.jsonl"))
    if not qa_files or not (folder / "gold").is_dir():
        raise DatasetError(
            f"{folder} is not a RealTime QA folder: expected qa/*_qa.jsonl and gold/*_gold.jsonl"
        )
    weeks = [p.name.split("_")[0] for p in qa_files]
    gold: dict[str, list[dict[str, Any]]] = {}
    gcs: dict[str, list[dict[str, Any]]] = {}
    for week in weeks:
        for kind, into in (("gold", gold), ("gcs", gcs)):
            path = folder / kind / f"{week}_{kind}.jsonl"
            if path.exists():
                for rec in _jsonl(path):
                    into[str(rec["question_id"])] = list(rec.get("search_result") or [])

    questions: list[EvalQuestion] = []
    for path in qa_files:
        for rec in sorted(_jsonl(path), key=lambda r: _qid_order(str(r["question_id"]))):
            qid = str(rec["question_id"])
            with_text = [g for g in gold.get(qid, []) if (g.get("text") or "").strip()]
            if not with_text:
                continue
            gold_keys = tuple(dict.fromkeys(normalize_url(g["url"]) for g in with_text))
            hits = tuple(normalize_url(h.get("url")) for h in gcs.get(qid, []) if h.get("url"))
            questions.append(
                EvalQuestion(
                    qid=qid,
                    question=str(rec["question_sentence"]).strip(),
                    answers=(str(rec["choices"][int(rec["answer"][0])]).strip(),),
                    gold_keys=gold_keys,
                    group=qid.split("_")[0],
                    date=_iso_day(rec.get("question_date")),
                    evidence=strip_html(str(rec.get("evidence") or "")),
                    leave_out=tuple(dict.fromkeys(gold_keys + hits)),
                )
            )
    if limit is not None:
        questions = questions[:limit]
        keep_weeks = {q.group for q in questions}
        weeks = [w for w in weeks if w in keep_weeks]

    titles: dict[str, str] = {}
    for hits_ in gcs.values():
        for h in hits_:
            key = normalize_url(h.get("url"))
            if key and (h.get("title") or "").strip():
                titles.setdefault(key, " ".join(str(h["title"]).split()))
    articles: dict[str, EvalArticle] = {}
    for table in (gold, gcs):
        for qid in sorted(table, key=_qid_order):
            if qid.split("_")[0] not in weeks:
                continue
            for item in table[qid]:
                text = (item.get("text") or "").strip()
                key = normalize_url(item.get("url"))
                if not text or not key or key in articles:
                    continue
                articles[key] = EvalArticle(
                    key=key,
                    title=titles.get(key) or _title_from(text),
                    text=text,
                    url=str(item["url"]).strip(),
                    published=_iso_day(item.get("publish_date")),
                    source=outlet(item.get("url")),
                    authors=tuple(str(a) for a in item.get("authors") or [] if a),
                )
    notes = [f"weeks {weeks[0]}..{weeks[-1]} ({len(weeks)})"] if weeks else []
    if limit is not None:
        notes.append(f"--limit {limit}: corpus cut to the articles of those questions' weeks")
    return EvalSet("realtimeqa", list(articles.values()), questions, notes)


# --- XQuAD ---------------------------------------------------------------------------------------
def load_xquad(path: Path, limit: int | None = None) -> EvalSet:
    """Read a SQuAD v1.1-format file: paragraphs become articles `xquad://{title}/{i}`.

    With `limit`, the first `limit` questions (file order), and the corpus cut to the paragraphs of
    the articles (titles) those questions come from.

    Raises:
        DatasetError: the file is not SQuAD-format JSON.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{path} is not a SQuAD-format JSON file: {exc}") from None
    articles: list[EvalArticle] = []
    questions: list[EvalQuestion] = []
    for art in data:
        title = str(art["title"])
        for i, para in enumerate(art["paragraphs"]):
            key = f"xquad://{title}/{i}"
            articles.append(
                EvalArticle(key=key, title=title.replace("_", " "), text=para["context"])
            )
            for qa in para["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                questions.append(
                    EvalQuestion(
                        qid=str(qa["id"]),
                        question=str(qa["question"]).strip(),
                        answers=answers,
                        gold_keys=(key,),
                        group=title,
                        leave_out=(key,),
                    )
                )
    notes: list[str] = []
    if limit is not None:
        questions = questions[:limit]
        groups = {q.group for q in questions}
        articles = [
            a for a in articles if a.key.removeprefix("xquad://").rsplit("/", 1)[0] in groups
        ]
        notes.append(f"--limit {limit}: corpus cut to the paragraphs of those questions' articles")
    return EvalSet("xquad", articles, questions, notes)


# --- RGB -----------------------------------------------------------------------------------------
def _answer_groups(answer: object) -> tuple[tuple[str, ...], ...]:
    """RGB `answer` as groups: a string is one group; a list holds groups (alias lists or strings)."""
    if isinstance(answer, str):
        return ((answer,),)
    groups: list[tuple[str, ...]] = []
    for item in answer if isinstance(answer, list) else [answer]:
        if isinstance(item, list):
            groups.append(tuple(str(a) for a in item))
        else:
            groups.append((str(item),))
    return tuple(groups)


def load_rgb(path: Path, limit: int | None = None) -> EvalSet:
    """Read RGB `en_fact.json` (JSON Lines): one shared corpus of every question's snippets.

    Articles: the union of all `positive` and `negative` snippets, deduplicated by exact text, ids
    `rgb://{n}` in first-seen order (question id order). Gold keys of a question: its positives.
    The counterfactual `positive_wrong` snippets are not used. With `limit`, the first `limit`
    questions and only their snippets.

    Raises:
        DatasetError: the file is not RGB JSON Lines.
    """
    try:
        records = sorted(_jsonl(Path(path)), key=lambda r: int(r["id"]))
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise DatasetError(f"{path} is not RGB JSON Lines: {exc}") from None
    if limit is not None:
        records = records[:limit]
    keys: dict[str, str] = {}
    articles: list[EvalArticle] = []

    def key_of(snippet: str) -> str:
        if snippet not in keys:
            keys[snippet] = f"rgb://{len(keys)}"
            articles.append(EvalArticle(key=keys[snippet], title="", text=snippet))
        return keys[snippet]

    questions: list[EvalQuestion] = []
    for rec in records:
        positives = [s for s in rec.get("positive") or [] if s.strip()]
        gold = tuple(dict.fromkeys(key_of(s) for s in positives))
        for s in rec.get("negative") or []:
            if s.strip():
                key_of(s)
        groups = _answer_groups(rec["answer"])
        questions.append(
            EvalQuestion(
                qid=str(rec["id"]),
                question=str(rec["query"]).strip(),
                answers=tuple(a for g in groups for a in g),
                gold_keys=gold,
                answer_groups=groups,
                leave_out=gold,
            )
        )
    notes = ["corpus: positive + negative snippets of all questions, deduplicated by exact text"]
    return EvalSet("rgb", articles, questions, notes)


def load_dataset(name: str, data: Path, limit: int | None = None) -> EvalSet:
    """`load_realtimeqa`, `load_xquad` or `load_rgb` by name.

    Raises:
        DatasetError: unknown name, or the data is missing or malformed.
    """
    data = Path(data)
    if not data.exists():
        raise DatasetError(f"no evaluation data at {data}: pass --data with the folder or file")
    if name == "realtimeqa":
        return load_realtimeqa(data, limit)
    if name == "xquad":
        return load_xquad(data / "xquad.en.json" if data.is_dir() else data, limit)
    if name == "rgb":
        return load_rgb(data / "en_fact.json" if data.is_dir() else data, limit)
    raise DatasetError(f"unknown data set {name!r}: use realtimeqa, xquad or rgb")
