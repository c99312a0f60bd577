"""Figures and the printed table of an evaluation run (`run_eval`'s per-question records in)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmarks import metrics as m

_KEPT_SETTINGS = (
    "embedding_backend",
    "embedding_model",
    "chunk_size",
    "chunk_overlap",
    "retrieval_k",
    "fetch_k",
    "max_per_article",
    "time_match_boost",
    "freshness_prior",
    "article_support_weight",
    "answerer",
    "answer_max_words",
    "answer_candidates",
    "answer_read_articles",
    "min_evidence",
    "answer_scorer",
    "reader_candidates",
    "reader_threshold",
    "time_scope",
    "recent_days",
)


def _system(records: Sequence[dict[str, Any]], *, newsqa: bool) -> dict[str, Any]:
    """Aggregate one system's per-question records."""
    ranks = [r["rank"] for r in records]
    answered = [r for r in records if r["answered"]]
    out: dict[str, Any] = {
        "questions": len(records),
        "hit@1": m.mean(m.hit_at(x, 1) for x in ranks),
        "hit@5": m.mean(m.hit_at(x, 5) for x in ranks),
        "hit@10": m.mean(m.hit_at(x, 10) for x in ranks),
        "mrr@10": m.mean(m.reciprocal_rank(x, 10) for x in ranks),
        "articles_retrieved_mean": m.mean(len(r["retrieved"]) for r in records),
        "containment": m.mean(float(r["contained"]) for r in records),
        "containment_answered": m.mean(float(r["contained"]) for r in answered),
        "answer_words_mean": m.mean(r["words"] for r in answered),
        "answer_words_max": max((r["words"] for r in answered), default=None),
        "latency_p50_ms": _ms(m.percentile((r["latency"] for r in records), 50)),
        "latency_p95_ms": _ms(m.percentile((r["latency"] for r in records), 95)),
    }
    retrieve = [r["timings"]["retrieve"] for r in records if "retrieve" in r.get("timings", {})]
    if not newsqa:
        retrieve = [r["latency"] for r in records]  # the tutorial's query is all retrieval
    out["retrieve_p50_ms"] = _ms(m.percentile(retrieve, 50))
    out["retrieve_p95_ms"] = _ms(m.percentile(retrieve, 95))
    if newsqa:
        n_cit = sum(r["citations"] for r in records)
        out.update(
            {
                "answer_rate": m.ratio(len(answered), len(records)),
                "citations": n_cit,
                "citations_in_gold": sum(r["citations_in_gold"] for r in records),
                "citation_precision": m.ratio(sum(r["citations_in_gold"] for r in records), n_cit),
                "citations_exact": sum(r["citations_exact"] for r in records),
                "markers_cited": sum(1 for r in records if r["markers_cited"]),
                "errors": sum(1 for r in records if r.get("error")),
            }
        )
        # generated answers: what the support check saw (absent for the extractive answerer)
        checked = [d for d in map(_diagnostics, records) if d.get("claims") is not None]
        if checked:
            claims = int(sum(d["claims"] for d in checked))
            dropped = int(sum(d.get("dropped") or 0 for d in checked))
            fellback = sum(1 for r in records if _diagnostics(r).get("fallback"))
            out.update(
                {
                    "generated_sentences": claims,
                    "dropped_sentences": dropped,
                    "dropped_share": m.ratio(dropped, claims),
                    "fallbacks": fellback,
                    "fallback_rate": m.ratio(fellback, len(records)),
                }
            )
    return out


def _diagnostics(record: dict[str, Any]) -> dict[str, Any]:
    """A record's `Answer.diagnostics`; records saved before it existed kept them in `timings`."""
    if "diagnostics" in record:
        return dict(record["diagnostics"] or {})
    old = record.get("timings", {})
    return {k: old[k] for k in ("claims", "dropped", "fallback", "evidence") if k in old}


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000.0


def _versus(questions: Sequence[dict[str, Any]], field: str) -> dict[str, Any]:
    """Per-question wins/losses of newsqa against the baseline on a 0/1 outcome."""
    wins, losses, ties = [], [], 0
    for q in questions:
        ours, theirs = field_value(q["newsqa"], field), field_value(q["baseline"], field)
        if ours and not theirs:
            wins.append(q["id"])
        elif theirs and not ours:
            losses.append(q["id"])
        else:
            ties += 1
    return {
        "wins": len(wins),
        "losses": len(losses),
        "ties": ties,
        "win_ids": wins,
        "loss_ids": losses,
    }


def field_value(record: dict[str, Any], field: str) -> bool:
    """A 0/1 outcome of one record: `hit@K` from its rank, or a boolean field."""
    if field.startswith("hit@"):
        return bool(m.hit_at(record["rank"], int(field[4:])))
    return bool(record[field])


def summarize(questions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """`summary` per system, `comparison` against the baseline and the `negatives` figures."""
    out: dict[str, Any] = {
        "summary": {"newsqa": _system([q["newsqa"] for q in questions], newsqa=True)}
    }
    if questions and "heuristic" in questions[0]:
        out["summary"]["heuristic"] = _system([q["heuristic"] for q in questions], newsqa=True)
    out["failures"] = failures(questions)
    if questions and "baseline" in questions[0]:
        out["summary"]["baseline"] = _system([q["baseline"] for q in questions], newsqa=False)
        out["comparison"] = {f: _versus(questions, f) for f in ("hit@5", "contained")}
    if questions and "negatives" in questions[0]:
        neg = [q["negatives"] for q in questions]
        left = [r for r in neg if r["role"] == "left_out"]
        kept = [r for r in neg if r["role"] == "kept"]
        out["negatives"] = {
            **_refusals(left, kept, "answered"),
            "excluded": sum(1 for r in neg if r["role"] == "excluded"),
        }
        if "answered_heuristic" in neg[0]:
            out["negatives_heuristic"] = _refusals(left, kept, "answered_heuristic")
    return out


def _refusals(
    left: Sequence[dict[str, Any]], kept: Sequence[dict[str, Any]], field: str
) -> dict[str, Any]:
    """Refused among the left-out questions, answered among the kept ones (by `field`)."""
    refused = sum(1 for r in left if not r[field])
    answered = sum(1 for r in kept if r[field])
    return {
        "left_out": len(left),
        "refused": refused,
        "refusal_rate": m.ratio(refused, len(left)),
        "kept": len(kept),
        "answered": answered,
        "answer_rate": m.ratio(answered, len(kept)),
    }


def failures(questions: Sequence[dict[str, Any]], system: str = "newsqa") -> dict[str, Any]:
    """Why the answers that miss the gold text missed it: the gold article not retrieved (not in
    the top 10), retrieved but the answer refused, or retrieved and the wrong sentence quoted
    (with the gold article first, or lower in the top 10)."""
    out: dict[str, list[str]] = {
        "not_retrieved": [],
        "refused_gold_retrieved": [],
        "wrong_sentence_gold_first": [],
        "wrong_sentence_gold_in_top10": [],
    }
    for q in questions:
        r = q[system]
        if r["contained"]:
            continue
        rank = r["rank"]
        if rank is None or rank > 10:
            out["not_retrieved"].append(q["id"])
        elif not r["answered"]:
            out["refused_gold_retrieved"].append(q["id"])
        elif rank == 1:
            out["wrong_sentence_gold_first"].append(q["id"])
        else:
            out["wrong_sentence_gold_in_top10"].append(q["id"])
    return {"counts": {k: len(v) for k, v in out.items()}, "ids": out}


def _fmt(value: Any, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "rate":
        return f"{value:.3f}"
    if kind == "ms":
        return f"{value:.1f}"
    if kind == "s":
        return f"{value:.1f}"
    if kind == "f1":
        return f"{value:.1f}"
    return str(value)


def format_report(result: dict[str, Any]) -> str:
    """A readable table, newsqa beside the baseline, with wins/losses, negatives and settings."""
    ours = result["summary"]["newsqa"]
    theirs = result["summary"].get("baseline")
    old = result["summary"].get("heuristic")
    corpus = result.get("corpus", {})
    nc, bc = corpus.get("newsqa", {}), corpus.get("baseline")
    n_q = ours["questions"]
    rows: list[tuple[str, str, str]] = [
        ("questions", str(n_q), str(theirs["questions"]) if theirs else "-"),
        (
            "articles (stored)",
            f"{corpus.get('articles')} ({nc.get('stored')})",
            str(bc["articles"]) if bc else "-",
        ),
        ("chunks", str(nc.get("chunks")), str(bc["chunks"]) if bc else "-"),
        (
            "ingest s (articles/s)",
            _rate_line(nc.get("ingest_seconds"), corpus.get("articles")),
            _rate_line(bc["seconds"], bc["articles"]) if bc else "-",
        ),
        (
            "ingest chunks/s",
            _per_second(nc.get("chunks"), nc.get("ingest_seconds")),
            _per_second(bc["chunks"], bc["seconds"]) if bc else "-",
        ),
    ]
    metric_rows = [
        ("hit@1", "hit@1", "rate"),
        ("hit@5", "hit@5", "rate"),
        ("hit@10", "hit@10", "rate"),
        ("MRR@10", "mrr@10", "rate"),
        ("articles retrieved (mean)", "articles_retrieved_mean", "f1"),
        ("containment", "containment", "rate"),
        ("containment (answered only)", "containment_answered", "rate"),
        ("citation precision", "citation_precision", "rate"),
        ("answer rate", "answer_rate", "rate"),
        ("answer words mean", "answer_words_mean", "f1"),
        ("answer words max", "answer_words_max", ""),
        ("latency p50 ms", "latency_p50_ms", "ms"),
        ("latency p95 ms", "latency_p95_ms", "ms"),
        ("retrieval p50 ms", "retrieve_p50_ms", "ms"),
        ("retrieval p95 ms", "retrieve_p95_ms", "ms"),
    ]
    olds: dict[str, str] = {}
    for label, key, kind in metric_rows:
        rows.append(
            (label, _fmt(ours.get(key), kind), _fmt(theirs.get(key), kind) if theirs else "-")
        )
        if old is not None:
            olds[label] = _fmt(old.get(key), kind)
    rows.append(("citations exact", f"{ours['citations_exact']}/{ours['citations']}", "-"))
    rows.append(("answers whose [n] are all cited", f"{ours['markers_cited']}/{n_q}", "-"))
    if old is not None:
        olds["citations exact"] = f"{old['citations_exact']}/{old['citations']}"
        olds["answers whose [n] are all cited"] = f"{old['markers_cited']}/{n_q}"
    if "generated_sentences" in ours:
        rows.append(
            (
                "generated sentences dropped",
                f"{ours['dropped_sentences']}/{ours['generated_sentences']}"
                f" ({_fmt(ours['dropped_share'], 'rate')})",
                "-",
            )
        )
        rows.append(("fell back to extractive", f"{ours['fallbacks']}/{n_q}", "-"))
    if ours.get("errors"):
        rows.append(("questions whose ask raised", str(ours["errors"]), "-"))
    width = max(len(r[0]) for r in rows) + 2
    col = max(12, *(len(r[1]) + 2 for r in rows))
    title = f"newsqa eval {result['dataset']}  ({result['date']})"
    if old is not None:  # newsqa | newsqa with the old scorer | the tutorial
        lines = [
            title,
            "=" * len(title),
            f"{'metric':<{width}}{'newsqa':>{col}}{'old scorer':>{col}}{'baseline':>{col}}",
            "-" * (width + 3 * col),
        ]
        lines += [f"{a:<{width}}{b:>{col}}{olds.get(a, '-'):>{col}}{c:>{col}}" for a, b, c in rows]
    else:
        lines = [
            title,
            "=" * len(title),
            f"{'metric':<{width}}{'newsqa':>{col}}{'baseline':>{col}}",
            "-" * (width + 2 * col),
        ]
        lines += [f"{a:<{width}}{b:>{col}}{c:>{col}}" for a, b, c in rows]
    lines.append("")
    if "comparison" in result:
        for field, label in (("hit@5", "hit@5"), ("contained", "containment")):
            c = result["comparison"][field]
            losses = ", ".join(c["loss_ids"][:8]) + (" ..." if len(c["loss_ids"]) > 8 else "")
            lines.append(
                f"vs baseline, {label}: {c['wins']} wins, {c['losses']} losses, "
                f"{c['ties']} ties" + (f" (losses: {losses})" if losses else "")
            )
    if "negatives" in result:
        n = result["negatives"]
        lines.append(
            f"negatives: refused {n['refused']}/{n['left_out']} ({_fmt(n['refusal_rate'], 'rate')}) "
            f"of questions whose gold and search hits were left out; answered {n['answered']}/"
            f"{n['kept']} ({_fmt(n['answer_rate'], 'rate')}) of the kept half"
            + (
                f"; {n['excluded']} excluded (gold removed with another question's hits)"
                if n["excluded"]
                else ""
            )
        )
    if "negatives_heuristic" in result:
        n = result["negatives_heuristic"]
        lines.append(
            f"negatives, old scorer: refused {n['refused']}/{n['left_out']} "
            f"({_fmt(n['refusal_rate'], 'rate')}); answered {n['answered']}/{n['kept']} "
            f"({_fmt(n['answer_rate'], 'rate')}) of the kept half"
        )
    if "failures" in result:
        c = result["failures"]["counts"]
        lines.append(
            f"misses (gold text not in the answer): {sum(c.values())} = "
            f"{c['wrong_sentence_gold_first']} wrong sentence with the gold article first, "
            f"{c['wrong_sentence_gold_in_top10']} wrong sentence with it in the top 10, "
            f"{c['refused_gold_retrieved']} refused with it retrieved, "
            f"{c['not_retrieved']} not retrieved"
        )
    s = result.get("settings", {})
    kept = ", ".join(f"{k}={s[k]}" for k in _KEPT_SETTINGS if k in s)
    lines.append(
        f"settings: {kept}; answerer={result.get('answerer')}; k={result.get('k') or 'default'}"
    )
    lines.append(
        "newsqa asks each question as of its question date when the data set gives one "
        "(as_of: 'this week' and freshness are read relative to it); the baseline has no dates"
    )
    extra = f"; {nc['duplicates']} near-duplicates folded" if nc.get("duplicates") else ""
    lines.append(
        f"data: {result['data']}"
        + (f" (--limit {result['limit']})" if result.get("limit") else "")
        + f"; {corpus.get('articles')} articles, {n_q} questions{extra}"
    )
    for note in result.get("notes", []):
        lines.append(f"note: {note}")
    if theirs:
        lines.append(
            "baseline: LangChain tutorial (RecursiveCharacterTextSplitter 1000/200, same MiniLM,"
            " Chroma, dense top-10); its answer is the top-1 chunk"
        )
    return "\n".join(lines)


def _rate_line(seconds: float | None, articles: int | None) -> str:
    if seconds is None or not articles:
        return "-"
    return f"{seconds:.1f} ({articles / seconds:.1f})" if seconds > 0 else f"{seconds:.1f}"


def _per_second(count: int | None, seconds: float | None) -> str:
    return f"{count / seconds:.1f}" if count is not None and seconds else "-"
