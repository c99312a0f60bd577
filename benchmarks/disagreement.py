"""Does newsqa say "Sources differ" when they do, and only then?

    python -m benchmarks.disagreement --data ../shared/eval/realtimeqa --workdir /tmp/disagree

Builds the test set of `benchmarks.disagreement_cases` from RealTime QA's article text (never its
questions or answers), ingests the articles a case needs plus the copies made for it into one
fresh store (the real ONNX embedder and the shipped reader), asks each case's question restricted
to its articles (`article_ids`), and prints per kind of case: how many were answered, how many
answered "differ", and for planted disagreements how many named both the original and the
planted value. Then recall and precision of "differ" and the false "differ" rate on pairs that
agree. `--split dev` / `test` keeps one half of the cases (by a hash of their id); by default
all cases run and the table is printed for the test half, the dev half (where the rules were
developed) and all of them.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.disagreement_cases import (
    Case,
    NewsArticle,
    agreeing_cases,
    load_articles,
    planted_cases,
    same_event_pairs,
)
from qa.answering.agreement import compare
from qa.core.schema import Answer, RawArticle
from qa.core.settings import Settings

KINDS = (
    "planted figure",
    "planted name",
    "untouched copy",
    "copy with another change",
    "agreeing reports",
)


@dataclass(frozen=True)
class Outcome:
    """What newsqa answered to one case."""

    case: Case
    answered: bool
    agreement: str | None
    values: tuple[str, ...]
    text: str
    exact: bool  # every citation an exact span of its stored article
    words: int
    scores: tuple[tuple[str, float], ...] = ()  # (version value, reader score) of each citation

    @property
    def differ(self) -> bool:
        return self.agreement == "differ"

    @property
    def found_planted(self) -> bool:
        """ "differ" with both the original and the planted value among the versions."""
        if not self.differ or self.case.planted is None:
            return False
        old, new = self.case.planted
        return any(_holds(v, old) for v in self.values) and any(_holds(v, new) for v in self.values)


def _holds(version: str, value: str) -> bool:
    """The version names the value ("International Swimming Federation" holds "The
    International Swimming": the case builder's span may be longer or shorter)."""
    version, value = version.removeprefix("The "), value.removeprefix("The ")
    return value in version or version in value or compare(version, value)


def build_cases(
    data: Path, seed: int, planted: int, agreeing: int
) -> tuple[list[Case], list[NewsArticle]]:
    """The cases and the real articles they need (copies are inside the cases)."""
    articles = load_articles(data)
    pairs = same_event_pairs(articles)
    rng = random.Random(seed)
    in_pairs = sorted({i for i, j, _ in pairs} | {j for i, j, _ in pairs})
    cases = planted_cases(articles, in_pairs, rng, planted)
    cases += agreeing_cases(articles, pairs, rng, agreeing)
    return cases, articles


def _raw(a: NewsArticle) -> RawArticle:
    return RawArticle(
        text=a.text, title=a.title, url=a.url, published=a.published, source=a.outlet, origin=a.url
    )


def run(
    cases: Sequence[Case], articles: Sequence[NewsArticle], settings: Settings
) -> tuple[list[Outcome], dict[str, Any]]:
    """Ingest what the cases need, ask every case, and return the outcomes and ingest counts."""
    from ingest import ingest_articles
    from qa import Query, ask
    from qa.store import Store

    by_url = {a.url: a for a in articles}
    needed = {u for c in cases for u in c.article_urls if u in by_url}
    raws = [_raw(by_url[u]) for u in sorted(needed)]
    t0 = time.perf_counter()
    report = ingest_articles(raws, settings=settings)
    copies = [_raw(cp) for c in cases for cp in c.copies]
    report2 = ingest_articles(copies, settings=settings)
    ingest_info = {
        "articles": report.counts(),
        "copies": report2.counts(),
        "seconds": round(time.perf_counter() - t0, 1),
        "real article not stored": 0,
    }
    outcomes = []
    with Store.open(settings) as store:
        ids = {}  # a case's URL -> the stored article (ids are canonical URLs)
        for a in store.list_articles():
            ids[(a.url or "").rstrip("/")] = ids[a.article_id.rstrip("/")] = a.article_id
        for c in cases:
            allowed = [ids[u.rstrip("/")] for u in c.article_urls if u.rstrip("/") in ids]
            copies = {cp.url for cp in c.copies}
            if any(u.rstrip("/") not in ids for u in c.article_urls if u not in copies):
                ingest_info["real article not stored"] += 1  # should stay 0
            if not allowed:
                continue
            # asked as of the newest article of the case, as RealTime QA's eval asks as of its quiz
            days = [
                a.published
                for a in [*map(by_url.get, c.article_urls), *c.copies]
                if a and a.published
            ]
            query = Query.build(c.question, article_ids=allowed, as_of=max(days) if days else None)
            answer = ask(query, settings=settings, store=store)
            outcomes.append(_outcome(c, answer, store))
    return outcomes, ingest_info


def _outcome(case: Case, answer: Answer, store: Any) -> Outcome:
    from benchmarks.metrics import answer_words

    exact = all(
        (art := store.get_article(c.article_id)) is not None
        and art.text[c.start : c.end] == c.quote
        for c in answer.citations
    )
    return Outcome(
        case,
        answer.answered,
        answer.agreement,
        tuple(v.value for v in answer.versions),
        answer.text,
        exact,
        answer_words(answer.text),
        tuple(
            (v.value, c.score)
            for v in answer.versions
            for c in answer.citations
            if c.n in v.citations
        ),
    )


def _rate(a: int, b: int) -> str:
    return f"{a}/{b} = {a / b:.3f}" if b else "-"


def table(outcomes: Sequence[Outcome]) -> str:
    """The per-kind table and the summary figures, as Markdown."""
    lines = [
        '| cases | n | answered | "differ" | planted values both named | exact citations | max words |',
        "|---|---|---|---|---|---|---|",
    ]
    for kind in KINDS:
        rows = [o for o in outcomes if o.case.kind == kind]
        if not rows:
            continue
        planted = kind.startswith("planted")
        lines.append(
            f"| {kind} | {len(rows)} | {sum(o.answered for o in rows)} | {sum(o.differ for o in rows)} "
            f"| {sum(o.found_planted for o in rows) if planted else '-'} "
            f"| {sum(o.exact for o in rows)}/{len(rows)} | {max(o.words for o in rows)} |"
        )
    planted = [o for o in outcomes if o.case.expect_differ]
    agree = [o for o in outcomes if not o.case.expect_differ]
    differ = [o for o in outcomes if o.differ]
    tp = sum(o.found_planted for o in planted)
    answered = [o for o in planted if o.answered]
    lines += [
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f'| recall of planted disagreements ("differ" naming both values) | {_rate(tp, len(planted))} | >= 0.90 |',
        f"| the same, of the planted cases answered | {_rate(tp, len(answered))} | |",
        f'| precision of "differ" (planted and named / all "differ") | {_rate(tp, len(differ))} | |',
        f'| false "differ" on untouched copies | {_rate(sum(o.differ for o in agree if o.case.kind == "untouched copy"), sum(o.case.kind == "untouched copy" for o in agree))} | |',
        f'| false "differ" on copies with another change | {_rate(sum(o.differ for o in agree if o.case.kind == "copy with another change"), sum(o.case.kind == "copy with another change" for o in agree))} | |',
        f'| false "differ" on agreeing reports | {_rate(sum(o.differ for o in agree if o.case.kind == "agreeing reports"), sum(o.case.kind == "agreeing reports" for o in agree))} | |',
        f'| false "differ", all pairs that agree | {_rate(sum(o.differ for o in agree), len(agree))} | <= 0.05 |',
    ]
    return "\n".join(lines)


def misses(outcomes: Sequence[Outcome]) -> str:
    """Each wrong outcome with its question and answer, to be read."""
    out = []
    for o in outcomes:
        wrong = (o.case.expect_differ and not o.found_planted) or (
            not o.case.expect_differ and o.differ
        )
        if wrong:
            out.append(
                f"- [{o.case.kind}] {o.case.case_id} answered={o.answered} agreement={o.agreement} "
                f"values={list(o.values)} planted={o.case.planted}\n  Q: {o.case.question}\n  A: {o.text}"
            )
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: build the cases, run them, print the tables."""
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.disagreement", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--data", type=Path, default=Path("../shared/eval/realtimeqa"))
    ap.add_argument(
        "--workdir", type=Path, default=None, help="store folder (default: a temporary one)"
    )
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--planted", type=int, default=120, help="planted disagreements to build")
    ap.add_argument("--agreeing", type=int, default=80, help="agreeing real pairs to build")
    ap.add_argument("--split", choices=("all", "dev", "test"), default="all")
    ap.add_argument("--embedding-backend", default="onnx", help="onnx (default) or hash (fast)")
    ap.add_argument("--show-misses", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="also write every outcome here")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"no RealTime QA data at {args.data}", file=sys.stderr)
        return 2
    cases, articles = build_cases(args.data, args.seed, args.planted, args.agreeing)
    if args.split != "all":
        cases = [c for c in cases if c.split == args.split]
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        settings = Settings(data_dir=work / "store", embedding_backend=args.embedding_backend)
        t0 = time.perf_counter()
        outcomes, info = run(cases, articles, settings)
        seconds = time.perf_counter() - t0
    print(
        f"{len(outcomes)} cases ({args.split}), seed {args.seed}; ingest {json.dumps(info)}; {seconds:.0f} s in all\n"
    )
    if args.split == "all":  # the test half first: the dev half is the one rules were tried on
        for half in ("test", "dev"):
            print(f"### {half} half\n\n{table([o for o in outcomes if o.case.split == half])}\n")
        print("### all cases\n")
    print(table(outcomes))
    if args.show_misses:
        print("\n" + misses(outcomes))
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "id": o.case.case_id,
                        "kind": o.case.kind,
                        "split": o.case.split,
                        "question": o.case.question,
                        "planted": o.case.planted,
                        "answered": o.answered,
                        "agreement": o.agreement,
                        "values": o.values,
                        "text": o.text,
                        "scores": o.scores,
                    }
                    for o in outcomes
                ],
                indent=1,
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
