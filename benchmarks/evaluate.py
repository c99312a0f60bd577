"""`run_eval`: newsqa and the tutorial baseline on one evaluation set, side by side.

    from benchmarks.evaluate import run_eval, format_report
    result = run_eval("realtimeqa", Path("../shared/eval/realtimeqa"), settings=load_settings())
    print(format_report(result))

Every store is built in a fresh temporary data directory from the data set read where it lies; the
data is never copied into the repository. Retrieval is scored at article level: the distinct
articles of the retrieved passages, in order of first appearance.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from benchmarks.datasets import EvalQuestion, EvalSet, load_dataset
from benchmarks.report import format_report, summarize
from benchmarks.systems import AskFn, StoreRun, ask_all, build_store, canonical, run_baseline
from qa.core.errors import NewsQAError
from qa.core.settings import Settings

__all__ = ["format_report", "main", "run_eval"]

Dataset = Literal["realtimeqa", "xquad", "rgb"]


def _default_ask() -> AskFn:
    from qa.answering.asking import ask

    return ask


def left_out_half(questions: Sequence[EvalQuestion]) -> set[str]:
    """The ids of the deterministic half a negatives run leaves out.

    Questions are grouped by their first gold article in order of appearance, and every other
    group (the 1st, 3rd, ...) is left out. With one question per article (RealTime QA, RGB) this is
    every other question; on XQuAD, where many questions share a paragraph, it keeps whole
    paragraphs on one side so that the kept half still has its gold.
    """
    groups: dict[str, int] = {}
    out: set[str] = set()
    for q in questions:
        index = groups.setdefault(q.gold_keys[0] if q.gold_keys else q.qid, len(groups))
        if index % 2 == 0:
            out.add(q.qid)
    return out


def _negatives(
    evalset: EvalSet,
    main: StoreRun,
    settings: Settings,
    ask_fn: AskFn,
    answerer: str | None,
    k: int | None,
    folder: Path,
    progress: bool,
    keep: bool = False,
    compare: Settings | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Leave out half the questions' gold articles and search hits; ask everything again (and once
    more with the `compare` settings, when given)."""
    left_out = left_out_half(evalset.questions)
    removed = {
        canonical(key, main.alias)
        for q in evalset.questions
        if q.qid in left_out
        for key in q.leave_out
    }
    kept_articles = [a for a in evalset.articles if canonical(a.key, main.alias) not in removed]
    run = build_store(kept_articles, evalset, settings, folder, progress, keep)
    present = {canonical(a.key, main.alias) for a in kept_articles}
    records = ask_all(evalset, run, ask_fn, answerer, k, progress, "negatives")
    other = None
    if compare is not None:
        other = ask_all(
            evalset,
            run,
            ask_fn,
            answerer,
            k,
            progress,
            "negatives, old scorer",
            settings=compare.model_copy(update={"data_dir": run.settings.data_dir}),
        )
    out = []
    for i, (q, rec) in enumerate(zip(evalset.questions, records, strict=True)):
        if q.qid in left_out:
            role = "left_out"
        elif any(canonical(g, main.alias) in present for g in q.gold_keys):
            role = "kept"
        else:
            role = "excluded"  # its gold went with a left-out question's search hits
        out.append(
            {
                "role": role,
                "answered": rec["answered"],
                "answer": rec["answer"],
                "rank": rec["rank"],
                **({"answered_heuristic": other[i]["answered"]} if other is not None else {}),
            }
        )
    info = {
        "articles": len(kept_articles),
        "removed_articles": len(evalset.articles) - len(kept_articles),
        "chunks": run.chunks,
        "ingest_seconds": run.seconds,
    }
    return info, out


def run_eval(
    dataset: Dataset,
    data: Path,
    *,
    settings: Settings,
    negatives: bool = False,
    baseline: bool = True,
    answerer: str | None = None,
    limit: int | None = None,
    ask_fn: AskFn | None = None,
    progress: bool = False,
    k: int | None = None,
    workdir: Path | None = None,
    compare_scorer: bool = True,
) -> dict[str, Any]:
    """Build a fresh newsqa store (and the tutorial baseline) from `data`, ask every question, score.

    Args:
        dataset: "realtimeqa" (a folder), "xquad" (SQuAD JSON) or "rgb" (en_fact.json).
        data: where the data set lies; it is read, never copied.
        settings: newsqa settings; `data_dir` is replaced by a temporary folder per store.
        negatives: also build a store without the gold articles and search hits of half the
            questions (`left_out_half`) and report refusals there and answers on the kept half.
        baseline: also run the LangChain tutorial pipeline on the same articles and questions.
        answerer: passed to `ask` (None = `settings.answerer`).
        limit: only the first `limit` questions (and a corpus cut to match, see `benchmarks.datasets`).
        ask_fn: the `ask` to call (default `qa.ask`); tests inject a fake.
        progress: print progress to stderr.
        k: passages `ask` retrieves (None = the settings' default).
        workdir: keep the stores in this folder and reuse them on the next run with the same
            data, limit and ingest settings (None = temporary folders, removed at the end).
        compare_scorer: with the extractive answerer and the reader, also ask every question
            with the heuristic scorer of earlier releases on the same stores ("old scorer").

    Returns:
        A JSON-serialisable dict: `summary` (figures per system), `corpus`, `settings`, `comparison`
        (per-question wins and losses), `negatives` and `questions` (one record each).

    Raises:
        DatasetError: the data is missing or malformed.
        NewsQAError: a store cannot be built or read.
    """
    evalset = load_dataset(dataset, Path(data), limit)
    ask = ask_fn or _default_ask()
    started = datetime.now(UTC)
    result: dict[str, Any] = {
        "dataset": dataset,
        "data": str(data),
        "date": started.isoformat(timespec="seconds"),
        "limit": limit,
        "notes": list(evalset.notes),
        "settings": settings.model_dump(mode="json", exclude={"data_dir"}),
        "answerer": answerer or getattr(settings, "answerer", None),
        "k": k,
    }
    keep = workdir is not None
    with contextlib.ExitStack() as stack:
        if workdir is None:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="newsqa-eval-")))
        else:
            tmp = Path(workdir) / f"{dataset}-{limit or 'all'}"
            tmp.mkdir(parents=True, exist_ok=True)
        if progress:
            print(f"newsqa: ingesting {len(evalset.articles)} articles", file=sys.stderr)
        main = build_store(evalset.articles, evalset, settings, tmp / "newsqa", progress, keep)
        records = ask_all(evalset, main, ask, answerer, k, progress, "newsqa")
        old: Settings | None = None
        if (
            compare_scorer
            and ask_fn is None  # a stand-in ask (tests) has no scorers to compare
            and (answerer or settings.answerer) == "extractive"
            and settings.answer_scorer == "reader"
        ):
            old = settings.model_copy(update={"answer_scorer": "heuristic"})
            old_records = ask_all(
                evalset,
                main,
                ask,
                answerer,
                k,
                progress,
                "old scorer",
                settings=old.model_copy(update={"data_dir": main.settings.data_dir}),
            )
        result["corpus"] = {
            "articles": len(evalset.articles),
            "questions": len(evalset.questions),
            "newsqa": {
                "stored": main.stored,
                "duplicates": main.duplicates,
                "failed": main.failed,
                "chunks": main.chunks,
                "ingest_seconds": main.seconds,
                "gold_near_duplicates": sum(
                    1 for q in evalset.questions for g in q.gold_keys if g in main.alias
                ),
            },
        }
        base_records: list[dict[str, Any]] | None = None
        if baseline:
            if progress:
                print("baseline: building the tutorial store", file=sys.stderr)
            base_ingest, base_records = run_baseline(
                evalset, tmp / "baseline", main.alias, progress, keep
            )
            result["corpus"]["baseline"] = base_ingest
        neg: list[dict[str, Any]] | None = None
        if negatives:
            result["corpus"]["negatives"], neg = _negatives(
                evalset,
                main,
                settings,
                ask,
                answerer,
                k,
                tmp / "negatives",
                progress,
                keep,
                compare=old,
            )
    questions = []
    for i, q in enumerate(evalset.questions):
        rec = {
            "id": q.qid,
            "question": q.question,
            "gold": list(q.answers),
            "gold_keys": list(q.gold_keys),
            "newsqa": records[i],
        }
        if old is not None:
            rec["heuristic"] = old_records[i]
        if base_records is not None:
            rec["baseline"] = base_records[i]
        if neg is not None:
            rec["negatives"] = neg[i]
        questions.append(rec)
    result["questions"] = questions
    result.update(summarize(questions))
    result["seconds"] = (datetime.now(UTC) - started).total_seconds()
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m benchmarks.evaluate realtimeqa --data DIR [--limit N] [--negatives] [--json F]`."""
    from qa.core.settings import load_settings

    p = argparse.ArgumentParser(
        prog="python -m benchmarks.evaluate", description=__doc__.split("\n")[0]
    )
    p.add_argument("dataset", choices=["realtimeqa", "xquad", "rgb"])
    p.add_argument("--data", type=Path, required=True, help="the data set folder or file")
    p.add_argument("--limit", type=int, help="only the first N questions (quick run)")
    p.add_argument("--negatives", action="store_true", help="also measure refusals")
    p.add_argument("--no-baseline", action="store_true", help="skip the tutorial pipeline")
    p.add_argument(
        "--no-old-scorer",
        action="store_true",
        help="skip asking again with the heuristic scorer of earlier releases",
    )
    p.add_argument("--answerer", help="answer backend (default: the settings')")
    p.add_argument("-k", type=int, help="passages retrieved per question")
    p.add_argument("--json", type=Path, help="write every figure and per-question record here")
    p.add_argument("--workdir", type=Path, help="keep the stores here and reuse them next time")
    p.add_argument("--progress", action="store_true")
    args = p.parse_args(argv)
    try:
        result = run_eval(
            args.dataset,
            args.data,
            settings=load_settings(),
            negatives=args.negatives,
            baseline=not args.no_baseline,
            compare_scorer=not args.no_old_scorer,
            answerer=args.answerer,
            limit=args.limit,
            progress=args.progress,
            k=args.k,
            workdir=args.workdir,
        )
    except NewsQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(format_report(result))
    if args.json:
        args.json.write_text(
            json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
