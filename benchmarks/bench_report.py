"""Figures, targets and the printed table of a `benchmarks.bench` run.

`figures(raw)` turns the raw measurements of `benchmarks.bench.run_benchmark` into medians and
ratios. Every speed is the median over the repeats; every ratio between two timings is paired:
computed within each repeat (the two timings measured minutes apart on the same machine), then
the median over repeats is taken.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from benchmarks import metrics as m
from benchmarks.systems import canonical

MB = 1024 * 1024


def median(xs: Sequence[float]) -> float | None:
    """The median, or None for no values."""
    return statistics.median(xs) if xs else None


def paired(num: Sequence[float], den: Sequence[float]) -> float | None:
    """Median over repeats of num[r] / den[r]: a ratio measured within each repeat."""
    return median([a / b for a, b in zip(num, den, strict=True) if b])


def retrieval_scores(
    ranked: Sequence[Sequence[str]], gold: Sequence[Sequence[str]], alias: dict[str, str]
) -> dict[str, Any]:
    """Article-level hit@1/5/10 and MRR@10 (keys folded through `alias` on both sides)."""
    ranks = []
    for keys, golds in zip(ranked, gold, strict=True):
        ordered = m.distinct_in_order(canonical(k, alias) for k in keys)
        ranks.append(m.gold_rank(ordered, {canonical(g, alias) for g in golds}))
    return {
        "questions": len(ranks),
        "hit@1": m.mean(m.hit_at(r, 1) for r in ranks),
        "hit@5": m.mean(m.hit_at(r, 5) for r in ranks),
        "hit@10": m.mean(m.hit_at(r, 10) for r in ranks),
        "mrr@10": m.mean(m.reciprocal_rank(r, 10) for r in ranks),
    }


def latency(rounds: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """p50/p95 in ms: computed per round (repeat), then the median over rounds; stage medians
    over all rounds pooled."""
    p50 = [m.percentile(r["latency"], 50) or 0.0 for r in rounds if r["latency"]]
    p95 = [m.percentile(r["latency"], 95) or 0.0 for r in rounds if r["latency"]]
    stages: dict[str, list[float]] = {}
    for r in rounds:
        for stage, xs in r["stages"].items():
            stages.setdefault(stage, []).extend(xs)
    return {
        "p50_ms": 1000 * statistics.median(p50) if p50 else None,
        "p95_ms": 1000 * statistics.median(p95) if p95 else None,
        "asks": sum(len(r["latency"]) for r in rounds),
        "errors": sum(r.get("errors", 0) for r in rounds),
        "stages_p50_ms": {s: 1000 * statistics.median(xs) for s, xs in stages.items() if xs},
    }


def _ingest_figures(runs: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    if not runs:
        return None
    secs = [r["seconds"] for r in runs]
    med = statistics.median(secs)
    first = runs[0]
    out = {
        "articles": first["articles"],
        "chunks": first["chunks"],
        "seconds": med,
        "seconds_all": secs,
        "articles_per_s": first["articles"] / med if med else None,
        "chunks_per_s": first["chunks"] / med if med else None,
        "model_load_seconds": median([r["model_load_seconds"] for r in runs]),
        "process_seconds": median([r["process_seconds"] for r in runs]),
        "start_to_indexed_seconds": median(
            [r["process_seconds"] - r.get("after_ingest_seconds", 0.0) for r in runs]
        ),
        "peak_rss_mb": max(r["peak_rss_bytes"] for r in runs) / MB,
        "rss_per_process": all(r.get("isolated", False) for r in runs),
    }
    for k in ("stored", "duplicates", "failed", "embedder"):
        if k in first:
            out[k] = first[k]
    return out


def figures(raw: dict[str, Any]) -> dict[str, Any]:
    """Medians, paired ratios, retrieval scores and targets from `run_benchmark`'s measurements."""
    runs = raw["runs"]
    new, tut, ref = runs["newsqa"], runs.get("tutorial", []), runs.get("newsqa_torch", [])
    alias = new[0]["alias"]
    fig: dict[str, Any] = {k: raw[k] for k in ("machine", "corpus", "settings", "repeat")}
    ingest: dict[str, Any] = {
        "newsqa": _ingest_figures(new),
        "tutorial": _ingest_figures(tut),
        "newsqa_torch": _ingest_figures(ref),
    }
    # same articles in each repeat: newsqa/tutorial articles/s = tutorial seconds / newsqa seconds
    ingest["ratio_articles_per_s"] = (
        paired([r["seconds"] for r in tut], [r["seconds"] for r in new]) if tut else None
    )
    ingest["ratio_chunks_per_s"] = (
        ingest["ratio_articles_per_s"] * new[0]["chunks"] / tut[0]["chunks"]
        if tut and ingest["ratio_articles_per_s"] and tut[0]["chunks"]
        else None
    )
    ingest["ratio_peak_rss"] = (
        ingest["newsqa"]["peak_rss_mb"] / ingest["tutorial"]["peak_rss_mb"] if tut else None
    )
    fig["ingest"] = ingest
    re_runs = [r for r in new if r.get("reingest")]
    fig["reingest"] = {
        "seconds": median([r["reingest"]["seconds"] for r in re_runs]),
        "seconds_all": [r["reingest"]["seconds"] for r in re_runs],
        "unchanged": re_runs[0]["reingest"]["unchanged"] if re_runs else None,
        "chunks_written": re_runs[0]["reingest"]["chunks_written"] if re_runs else None,
        "ratio_first_over_reingest": paired(
            [r["seconds"] for r in re_runs], [r["reingest"]["seconds"] for r in re_runs]
        ),
    }
    gold = raw["gold"]
    retrieval: dict[str, Any] = {
        "newsqa_as_of": retrieval_scores(new[0]["asks"]["as_of"]["ranked"], gold, alias),
        "newsqa_no_as_of": retrieval_scores(new[0]["asks"]["no_as_of"]["ranked"], gold, alias),
        "tutorial": retrieval_scores(tut[0]["asks"]["plain"]["ranked"], gold, alias)
        if tut
        else None,
        "newsqa_torch_as_of": retrieval_scores(ref[0]["asks"]["as_of"]["ranked"], gold, alias)
        if ref
        else None,
        "same_rankings_every_repeat": all(
            r["asks"]["as_of"]["ranked"] == new[0]["asks"]["as_of"]["ranked"] for r in new
        ),
    }
    fig["retrieval"] = retrieval
    fig["ask"] = {
        "newsqa_as_of": latency([r["asks"]["as_of"] for r in new]),
        "newsqa_no_as_of": latency([r["asks"]["no_as_of"] for r in new]),
        "tutorial": latency([r["asks"]["plain"] for r in tut]) if tut else None,
    }
    cold = raw.get("cold")
    if cold:
        fig["cold_start"] = {
            "first_answer_seconds": median([r["first_answer_seconds"] for r in cold["runs"]]),
            "exit_seconds": median([r["exit_seconds"] for r in cold["runs"]]),
            "runs": cold["runs"],
            **{k: v for k, v in cold.items() if k != "runs"},
        }
    else:
        fig["cold_start"] = None
    emb = raw.get("embeddings")
    if emb:
        n = emb["chunks"]
        fig["embeddings"] = {
            **{k: emb[k] for k in ("fast", "reference", "chunks", "mean_cosine", "min_cosine")},
            "fast_chunks_per_s": n / statistics.median(emb["fast_seconds"]),
            "reference_chunks_per_s": n / statistics.median(emb["reference_seconds"]),
            "ratio_fast_over_reference": paired(emb["reference_seconds"], emb["fast_seconds"]),
            "fast_seconds": emb["fast_seconds"],
            "reference_seconds": emb["reference_seconds"],
        }
    else:
        fig["embeddings"] = None
    fig["scale"] = _scale_figures(raw.get("scale"))
    fig["targets"] = targets(fig)
    return fig


def _scale_figures(scale: dict[str, Any] | None) -> dict[str, Any] | None:
    if not scale:
        return None
    sizes = []
    for s in scale["sizes"]:
        modes = {}
        for mode, rounds in s["rounds"].items():
            lat = latency(rounds)
            st = lat["stages_p50_ms"]
            fts5 = [x for r in s.get("fts5_rounds", {}).get(mode, []) for x in r]
            modes[mode] = {
                "p50_ms": lat["p50_ms"],
                "p95_ms": lat["p95_ms"],
                "dense_ms": st.get("dense"),
                "keyword_ms": st.get("keyword"),
                "answer_ms": st.get("answer"),
                "fts5_keyword_ms": 1000 * statistics.median(fts5) if fts5 else None,
                "stages_p50_ms": st,
            }
        sizes.append(
            {
                "chunks": s["chunks"],
                "modes": modes,
                "write_seconds_total": s["write_seconds_total"],
                "fts5_build_seconds": s.get("fts5_build_seconds"),
                "disk_mb": s["disk_bytes"] / MB,
            }
        )
    growth: dict[str, float | None] = {}
    if len(sizes) >= 2:
        first, last = sizes[0]["modes"], sizes[-1]["modes"]
        for mode in last:
            for what in ("p50_ms", "dense_ms", "keyword_ms", "fts5_keyword_ms"):
                a, b = first.get(mode, {}).get(what), last[mode].get(what)
                growth[f"{what[:-3]} {mode}"] = b / a if a and b else None
    return {
        "base_chunks": scale["base_chunks"],
        "sizes": sizes,
        "growth": growth,
        "growth_of": f"{sizes[-1]['chunks']:,} vs {sizes[0]['chunks']:,}" if growth else None,
        "notes": scale["notes"],
    }


def targets(fig: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets with the measured value and whether it is met (None: not measured)."""
    ing, ret = fig["ingest"], fig["retrieval"]
    ask, plain = fig["ask"]["newsqa_as_of"], fig["ask"]["newsqa_no_as_of"]
    new, tut = ret["newsqa_as_of"], ret["tutorial"]
    emb, cold, sc = fig["embeddings"] or {}, fig["cold_start"] or {}, fig["scale"] or {}
    # quality: the smaller of newsqa's MRR@10 and hit@10 leads over the tutorial (>= 0: not worse)
    lead = None
    if tut is not None:
        lead = min(new["mrr@10"] - tut["mrr@10"], new["hit@10"] - tut["hit@10"])
    g = sc.get("growth") or {}
    of = sc.get("growth_of") or "1M vs 20k"

    def worst(*keys: str) -> float | None:
        vals = [g[k] for k in keys if g.get(k) is not None]
        return max(vals) if vals else None

    rows = [  # target, wanted, value, threshold, higher is better, shown as
        ("ingest articles/s, newsqa/tutorial", ">= 3x", ing["ratio_articles_per_s"], 3, True, "{:.2f}x"),
        ("retrieval vs tutorial: min(dMRR@10, dhit@10)", ">= 0", lead, 0, True, "{:+.3f}"),
        ("mean cosine, fast vs reference embeddings", ">= 0.99", emb.get("mean_cosine"), 0.99, True, "{:.4f}"),
        ("re-ingest unchanged: first/re-ingest", ">= 100x", fig["reingest"]["ratio_first_over_reingest"], 100, True, "{:,.0f}x"),
        ("ask p50, warm, no as_of (UI, CLI)", "<= 50 ms", plain["p50_ms"], 50, False, "{:.1f} ms"),
        ("ask p95, warm, no as_of (UI, CLI)", "<= 100 ms", plain["p95_ms"], 100, False, "{:.1f} ms"),
        ("ask p50, warm, as_of", "<= 50 ms", ask["p50_ms"], 50, False, "{:.1f} ms"),
        ("ask p95, warm, as_of", "<= 100 ms", ask["p95_ms"], 100, False, "{:.1f} ms"),
        ("cold start to first answer", "<= 3 s", cold.get("first_answer_seconds"), 3, False, "{:.2f} s"),
        (f"scale: ask p50 growth, no as_of ({of})", "<= 2x", g.get("p50 no_as_of"), 2, False, "{:.2f}x"),
        (f"scale: ask p50 growth, as_of ({of})", "<= 2x", g.get("p50 as_of"), 2, False, "{:.2f}x"),
        (f"scale: keyword p50 growth, worse path ({of})", "<= 2x", worst("keyword no_as_of", "keyword as_of"), 2, False, "{:.2f}x"),
        (f"scale: dense p50 growth, worse path ({of})", "<= 2x", worst("dense no_as_of", "dense as_of"), 2, False, "{:.2f}x"),
        ("ingest peak RSS, newsqa", "<= 2048 MB", ing["newsqa"]["peak_rss_mb"], 2048, False, "{:,.0f} MB"),
        ("app idle RSS (not measured here)", "<= 1536 MB", None, 1536, False, "{}"),
    ]  # fmt: skip
    return [
        {
            "target": target,
            "want": want,
            "value": value,
            "shown": "not measured" if value is None else shown.format(value),
            "met": None if value is None else (value >= limit if higher else value <= limit),
        }
        for target, want, value, limit, higher, shown in rows
    ]


# --- table ------------------------------------------------------------------------------------
def _n(x: float | None, fmt: str = ".2f") -> str:
    return "–" if x is None else format(x, fmt)


def format_table(fig: dict[str, Any]) -> str:
    """The report printed on stdout."""
    mc, ing, w = fig["machine"], fig["ingest"], 54
    cols = [c for c in ("newsqa", "tutorial", "newsqa_torch") if ing.get(c)]
    heads = {"newsqa": "newsqa", "tutorial": "tutorial", "newsqa_torch": "newsqa(torch)"}
    out = [
        f"newsqa benchmark, {mc['date']}: nproc {mc['nproc']}, {mc['cpu']}, {mc['ram_gb']} GB RAM,"
        f" load average {mc['load_avg_start'][0]} at start, {mc.get('load_avg_end', ['?'])[0]} at end",
        f"command: {fig.get('command', '?')}",
        f"corpus: {fig['corpus']['name']}: {fig['corpus']['articles']} articles,"
        f" {fig['corpus']['questions']} questions with their gold article in the corpus",
        f"repeat {fig['repeat']}: speeds are medians; ratios are paired within a repeat, then the median",
        "",
        f"{'Ingest':<32}"
        + "".join(f"{heads[c]:>14}" for c in cols)
        + (f"{'newsqa/tutorial':>17}" if ing.get("tutorial") else ""),
    ]
    rows = [
        ("indexing wall, s", "seconds", ".1f", None),
        ("articles/s", "articles_per_s", ".2f", "ratio_articles_per_s"),
        ("chunks", "chunks", "d", None),
        ("chunks/s", "chunks_per_s", ".1f", "ratio_chunks_per_s"),
        ("model load (before clock), s", "model_load_seconds", ".1f", None),
        ("process start to indexed, s", "start_to_indexed_seconds", ".1f", None),
        ("peak RSS of the process, MB", "peak_rss_mb", ",.0f", "ratio_peak_rss"),
    ]
    for label, key, fmt, rkey in rows:
        line = f"  {label:<30}" + "".join(f"{_n(ing[c].get(key), fmt):>14}" for c in cols)
        if rkey and ing.get(rkey) is not None:
            line += f"{_n(ing[rkey]):>16}x"
        out.append(line)
    rei = fig["reingest"]
    out += [
        f"  re-ingest of the unchanged corpus (newsqa): {_n(rei['seconds'], '.3f')} s,"
        f" {rei['unchanged']} unchanged, {rei['chunks_written']} chunks embedded;"
        f" first/re-ingest {_n(rei['ratio_first_over_reingest'], ',.0f')}x",
        "",
        f"{'Retrieval, article level':<{w}}{'n':>5}{'hit@1':>8}{'hit@5':>8}{'hit@10':>8}{'MRR@10':>8}",
    ]
    labels = {
        "newsqa_as_of": "newsqa ask(), as_of = question date (eval protocol)",
        "newsqa_no_as_of": "newsqa ask(), no as_of",
        "newsqa_torch_as_of": "newsqa ask(), torch reference embedder, as_of",
        "tutorial": "tutorial, dense top-10 chunks",
    }
    for key, label in labels.items():
        s = fig["retrieval"].get(key)
        if s:
            scores = "".join(
                f"{_n(s[k], '.3f'):>8}" for k in ("hit@1", "hit@5", "hit@10", "mrr@10")
            )
            out.append(f"  {label:<{w - 2}}{s['questions']:>5}{scores}")
    out += ["", f"{'Ask latency, warm':<{w}}{'p50 ms':>9}{'p95 ms':>9}"]
    for key, label in (
        ("newsqa_no_as_of", "newsqa ask() = retrieval + answer, no as_of (UI, CLI)"),
        ("newsqa_as_of", "newsqa ask(), as_of = question date"),
        ("tutorial", "tutorial similarity_search(k=10)"),
    ):
        lat = fig["ask"].get(key)
        if lat:
            out.append(
                f"  {label:<{w - 2}}{_n(lat['p50_ms'], '.1f'):>9}{_n(lat['p95_ms'], '.1f'):>9}"
            )
    for key in ("newsqa_no_as_of", "newsqa_as_of"):
        stages = fig["ask"][key]["stages_p50_ms"]
        out.append(
            f"    {key[7:]} stage p50, ms: " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items())
        )
    cold = fig["cold_start"]
    if cold:
        out += [
            "",
            f"Cold start, `newsqa ask` in a fresh process (median of {len(cold['runs'])}):"
            f" first answer printed {_n(cold['first_answer_seconds'])} s, exit {_n(cold['exit_seconds'])} s",
            f"  torch imported: {'yes' if cold['torch_imported'] else 'no'}; slowest imports: "
            + ", ".join(f"{n} {s:.2f} s" for n, s in cold["slowest_imports"][:4]),
        ]
    emb = fig["embeddings"]
    if emb:
        out += [
            "",
            f"Embeddings of {emb['chunks']} real chunks, {emb['fast']} vs {emb['reference']}:",
            f"  cosine mean {emb['mean_cosine']:.4f}, min {emb['min_cosine']:.4f}; throughput"
            f" {emb['fast_chunks_per_s']:.1f} vs {emb['reference_chunks_per_s']:.1f} chunks/s"
            f" ({_n(emb['ratio_fast_over_reference'])}x)",
        ]
    if fig["scale"]:
        out += ["", *format_scale(fig["scale"])]
    out += ["", "Targets (issues 6 and 14)"]
    for t in fig["targets"]:
        mark = {True: "met ", False: "MISS", None: " -- "}[t["met"]]
        out.append(f"  [{mark}] {t['target']:<52} {t['want']:<12} {t['shown']}")
    return "\n".join(out)


def format_scale(sc: dict[str, Any]) -> list[str]:
    """The scale rows of the table: per size and path, ask p50/p95 and the stage p50s."""
    out = [
        f"{'Scale: ask() with N stored chunks':<34}{'p50 ms':>8}{'p95 ms':>8}{'dense':>8}"
        f"{'keyword':>9}{'(FTS5)':>8}{'answer':>8}{'write s':>9}{'disk MB':>9}",
    ]
    for s in sc["sizes"]:
        for mode, r in s["modes"].items():
            out.append(
                f"  {s['chunks']:>11,} chunks, {mode:<9}"
                + "".join(f"{_n(r[k], '.1f'):>{n}}" for k, n in (("p50_ms", 8), ("p95_ms", 8),
                          ("dense_ms", 8), ("keyword_ms", 9), ("fts5_keyword_ms", 8),
                          ("answer_ms", 8)))
                + f"{_n(s['write_seconds_total'], '.0f'):>9}{s['disk_mb']:>9,.0f}"
            )  # fmt: skip
    if sc["growth"]:
        out.append(
            f"  growth {sc['growth_of']} chunks (p50): "
            + ", ".join(f"{k} {_n(v)}x" for k, v in sc["growth"].items())
        )
    out.append(
        f"  synthetic: {sc['base_chunks'] or 'the'} real chunks, then copies with perturbed vectors"
        " and the same texts (so keyword matches grow with the number of copies); keyword:"
        " newsqa's postings index, (FTS5): the same search through FTS5 as before, same chunks"
    )
    return out + [f"  note: {n}" for n in sc["notes"]]


def scale_figures(scale: dict[str, Any]) -> dict[str, Any] | None:
    """The scale part of `figures` alone (for `python -m benchmarks.scale measure`)."""
    return _scale_figures(scale)


if (
    __name__ == "__main__"
):  # re-print the table of a saved run: python -m benchmarks.bench_report FILE
    import json
    import sys
    from pathlib import Path

    print(format_table(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))))
