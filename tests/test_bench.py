"""The speed benchmark's internals on a tiny synthetic RealTime QA folder (never the real data).

No timing is asserted: only that every figure is there, and that medians, paired ratios and
retrieval scores are computed as documented.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import pytest

from benchmarks import bench
from benchmarks.bench_report import figures, format_table, latency, paired, retrieval_scores
from benchmarks.cold_start import import_summary, settings_env
from benchmarks.scale import scale_bench
from qa.core.embeddings import HashEmbedder
from qa.core.settings import Settings

WEEK = "20220107"
ARTICLES = {
    "https://www.cnn.com/2022/01/01/world/volcano/index.html": (
        "Which volcano erupted near Rabaul?",
        "Mount Tavurvur erupted on Friday near Rabaul in Papua New Guinea. Ash covered the "
        "harbour town for hours and flights were cancelled. Residents wore masks in the streets. "
        "The observatory said the eruption was the largest since 2014, and it warned that more "
        "ash could fall over the weekend. Schools in Rabaul stayed closed on Monday while crews "
        "cleared the roads. Officials said no one was hurt.",
    ),
    "https://www.cnn.com/2022/01/02/sport/chess/index.html": (
        "Who won the Norway chess title?",
        "Magnus Carlsen won the Norway chess title in Stavanger. He beat the challenger in the "
        "final round after a long endgame. It was his fifth title at the tournament.",
    ),
    "https://www.usatoday.com/story/news/2022/01/03/bakery-prices/1": (
        "What rose at the Riverside bakery?",
        "Bread prices rose again at the Riverside bakery. The baker blamed the cost of flour and "
        "energy. Customers said they would still buy their bread there.",
    ),
    "https://www.cnn.com/2022/01/05/tech/satellite/index.html": (
        "Where did the Zephyr satellite launch from?",
        "The Zephyr satellite launched from Kourou on Monday. It will map sea ice for NASA over "
        "the next five years. Engineers cheered as the rocket cleared the tower.",
    ),
}
DISTRACTOR = (
    "https://www.theweek.co.uk/news/orchids",
    "Rare orchids bloomed in the glasshouse at Kew. Visitors queued to see the flowers.",
)


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj) + "\n"


def write_realtimeqa(root: Path) -> Path:
    """One week: four questions, each with its gold article; one extra article from search."""
    for sub in ("qa", "gold", "gcs"):
        (root / sub).mkdir(parents=True)
    qa, gold = "", ""
    for i, (url, (question, text)) in enumerate(ARTICLES.items(), 1):
        qid = f"{WEEK}_{i}"
        qa += _line(
            {
                "question_id": qid,
                "question_date": "2022/01/07",
                "question_sentence": question,
                "choices": ["a", "b", "c", "d"],
                "answer": ["0"],
            }
        )
        gold += _line(
            {
                "question_id": qid,
                "search_result": [{"url": url, "text": text, "publish_date": f"2022/01/0{i}"}],
            }
        )
    (root / "qa" / f"{WEEK}_qa.jsonl").write_text(qa, encoding="utf-8")
    (root / "gold" / f"{WEEK}_gold.jsonl").write_text(gold, encoding="utf-8")
    hit = {"url": DISTRACTOR[0], "title": "Orchids at Kew", "text": DISTRACTOR[1]}
    (root / "gcs" / f"{WEEK}_gcs.jsonl").write_text(
        _line({"question_id": f"{WEEK}_1", "search_result": [hit]}), encoding="utf-8"
    )
    return root


@pytest.fixture
def hash_settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "unused", embedding_backend="hash", chunk_size=200, min_evidence=0.2
    )


# --- corpus and small helpers ----------------------------------------------------------------
def test_load_corpus_keeps_the_first_articles_and_their_questions(tmp_path: Path) -> None:
    data = write_realtimeqa(tmp_path / "rtqa")
    full = bench.load_corpus(data)
    assert len(full.articles) == 5 and len(full.questions) == 4
    assert full.articles[-1].key == "www.theweek.co.uk/news/orchids"  # gcs after gold
    cut = bench.load_corpus(data, limit=2)
    assert [a.title[:12] for a in cut.articles] == ["Mount Tavurv", "Magnus Carls"]
    assert [q.question for q in cut.questions] == [
        "Which volcano erupted near Rabaul?",
        "Who won the Norway chess title?",
    ]


def test_scale_sizes_and_import_summary() -> None:
    assert bench._sizes("20000,200k,1M") == [20_000, 200_000, 1_000_000]
    assert bench._sizes("none") == []
    stderr = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:       100 |     900000 | chromadb\n"
        "import time:        50 |      50000 |   chromadb.api\n"
        "import time:        10 |     300000 | cli\n"
    )
    info = import_summary(stderr)
    assert info["torch_imported"] is False
    assert info["slowest_imports"] == [["chromadb", 0.9], ["cli", 0.3]]
    assert import_summary(stderr + "import time: 1 | 2 |     torch._C\n")["torch_imported"]


def test_settings_env_reproduces_the_settings(hash_settings: Settings) -> None:
    env = settings_env(hash_settings)
    assert env["NEWSQA_EMBEDDING_BACKEND"] == "hash"
    assert env["NEWSQA_CHUNK_SIZE"] == "200"
    assert env["NEWSQA_DATA_DIR"] == str(hash_settings.data_dir)
    assert "NEWSQA_RETRIEVAL_K" not in env  # defaults are not repeated
    assert Settings(**bench.settings_dump(hash_settings), data_dir=Path("x")) == (
        hash_settings.model_copy(update={"data_dir": Path("x")})
    )


# --- figures from known measurements ---------------------------------------------------------
def _asks(ranked: list[list[str]], lat: list[float]) -> dict[str, Any]:
    return {"ranked": ranked, "latency": lat, "stages": {"dense": lat}, "errors": 0}


def _run(secs: float, chunks: int, rss_mb: int, re: float | None, asks: dict[str, Any]) -> dict:
    out = {
        "articles": 10,
        "chunks": chunks,
        "seconds": secs,
        "model_load_seconds": 1.0,
        "process_seconds": secs + 2,
        "peak_rss_bytes": rss_mb * 1024 * 1024,
        "isolated": True,
        "alias": {"b-copy": "b"},
        "asks": asks,
    }
    if re is not None:
        out["reingest"] = {"seconds": re, "unchanged": 10, "chunks_written": 0}
    return out


def test_figures_medians_paired_ratios_and_targets() -> None:
    gold = [["a"], ["b-copy"], ["c"]]  # b-copy was folded into b by newsqa: b counts for both
    good = [["a", "x"], ["x", "b"], ["y"]]  # ranks 1, 2, miss
    tut_ranked = [["x", "a"], ["b-copy"], ["y"]]  # ranks 2, 1 (through the alias), miss
    newsqa_asks = {"as_of": _asks(good, [0.01, 0.02, 0.03]), "no_as_of": _asks(good, [0.04] * 3)}
    raw = {
        "machine": {"date": "d", "nproc": 2, "cpu": "cpu", "ram_gb": 1, "load_avg_start": [1.0]},
        "corpus": {"name": "tiny", "articles": 10, "questions": 3},
        "settings": {},
        "repeat": 2,
        "gold": gold,
        "runs": {
            "newsqa": [_run(10, 100, 300, 0.1, newsqa_asks), _run(20, 100, 500, 0.4, newsqa_asks)],
            "tutorial": [
                _run(40, 80, 900, None, {"plain": _asks(tut_ranked, [0.005] * 3)}),
                _run(50, 80, 700, None, {"plain": _asks(tut_ranked, [0.007] * 3)}),
            ],
            "newsqa_torch": [],
        },
        "cold": {
            "question": "q",
            "torch_imported": False,
            "slowest_imports": [["chromadb", 1.0]],
            "runs": [{"first_answer_seconds": s, "exit_seconds": s + 1} for s in (2.0, 4.0, 3.0)],
        },
        "embeddings": {
            "fast": "f",
            "reference": "r",
            "chunks": 30,
            "mean_cosine": 0.995,
            "min_cosine": 0.98,
            "fast_seconds": [1.0, 2.0],
            "reference_seconds": [3.0, 3.0],
        },
        "scale": {
            "base_chunks": 7,
            "notes": [],
            "sizes": [
                {"chunks": 20, "write_seconds_total": 1, "disk_bytes": 0,
                 "rounds": {"as_of": [_asks([], [0.01, 0.03])], "no_as_of": [_asks([], [0.01] * 2)]},
                 "fts5_rounds": {"as_of": [[0.1, 0.2]], "no_as_of": [[0.1]]}},
                {"chunks": 40, "write_seconds_total": 3, "disk_bytes": 0,
                 "rounds": {"as_of": [_asks([], [0.03, 0.03])], "no_as_of": [_asks([], [0.03] * 2)]},
                 "fts5_rounds": {"as_of": [[0.6, 0.6]], "no_as_of": [[0.2]]}},
            ],
        },
    }  # fmt: skip
    fig = figures(raw)
    ing = fig["ingest"]
    assert ing["newsqa"]["seconds"] == 15 and ing["tutorial"]["seconds"] == 45
    assert ing["newsqa"]["articles_per_s"] == pytest.approx(10 / 15)
    assert ing["newsqa"]["chunks_per_s"] == pytest.approx(100 / 15)
    # paired: median(40/10, 50/20) = median(4, 2.5), not the ratio of medians (45/15 = 3)
    assert ing["ratio_articles_per_s"] == pytest.approx(3.25)
    assert ing["ratio_chunks_per_s"] == pytest.approx(3.25 * 100 / 80)
    assert ing["newsqa"]["peak_rss_mb"] == 500 and ing["ratio_peak_rss"] == pytest.approx(500 / 900)
    assert fig["reingest"]["seconds"] == pytest.approx(0.25)
    assert fig["reingest"]["ratio_first_over_reingest"] == pytest.approx(
        statistics.median([100, 50])
    )
    ret = fig["retrieval"]
    assert ret["newsqa_as_of"] == {
        "questions": 3, "hit@1": pytest.approx(1 / 3), "hit@5": pytest.approx(2 / 3),
        "hit@10": pytest.approx(2 / 3), "mrr@10": pytest.approx((1 + 0.5) / 3),
    }  # fmt: skip
    assert ret["tutorial"]["hit@1"] == pytest.approx(1 / 3)
    assert ret["tutorial"]["mrr@10"] == pytest.approx((0.5 + 1) / 3)
    assert ret["same_rankings_every_repeat"] is True
    assert fig["ask"]["newsqa_as_of"]["p50_ms"] == pytest.approx(20)
    assert fig["ask"]["newsqa_as_of"]["p95_ms"] == pytest.approx(29)
    assert fig["ask"]["tutorial"]["p50_ms"] == pytest.approx(6)  # median of the rounds' p50s
    assert fig["cold_start"]["first_answer_seconds"] == 3.0
    assert fig["cold_start"]["exit_seconds"] == 4.0
    emb = fig["embeddings"]
    assert emb["fast_chunks_per_s"] == pytest.approx(30 / 1.5)
    assert emb["ratio_fast_over_reference"] == pytest.approx(statistics.median([3.0, 1.5]))
    growth = fig["scale"]["growth"]
    assert growth["p50 as_of"] == pytest.approx(1.5) and growth["p50 no_as_of"] == pytest.approx(3)
    assert growth["dense as_of"] == pytest.approx(1.5)  # the stage timings, p50 of each size
    assert growth["fts5_keyword as_of"] == pytest.approx(0.6 / 0.15)
    assert fig["scale"]["growth_of"] == "40 vs 20"
    met = {t["target"].split(",")[0].split(":")[0]: t["met"] for t in fig["targets"]}
    assert met["ingest articles/s"] is True  # 3.25 >= 3
    assert met["retrieval vs tutorial"] is True  # equal MRR and hit@10
    assert met["re-ingest unchanged"] is False  # 75 < 100
    assert met["ask p50"] is True and met["cold start to first answer"] is True
    scale_rows = {
        t["target"][:30]: t["met"] for t in fig["targets"] if t["target"].startswith("scale")
    }
    assert scale_rows == {
        "scale: ask p50 growth, no as_o": False,  # 3x
        "scale: ask p50 growth, as_of (": True,  # 1.5x
        "scale: keyword p50 growth, wor": None,  # no keyword stage in these measurements
        "scale: dense p50 growth, worse": False,  # 3x on the no as_of path
    }
    assert met["app idle RSS (not measured here)"] is None
    table = format_table(fig)
    assert "3.25x" in table and "as_of = question date" in table


def test_small_helpers() -> None:
    assert paired([4, 6], [2, 0]) == 2  # a zero denominator is left out
    assert retrieval_scores([["z", "b"]], [["a"]], {"a": "b"})["hit@5"] == 1.0
    lat = latency([{"latency": [], "stages": {}}])
    assert lat["p50_ms"] is None and lat["asks"] == 0


# --- the whole run on a tiny corpus ----------------------------------------------------------
def test_run_benchmark_on_a_tiny_corpus(tmp_path: Path, hash_settings: Settings) -> None:
    evalset = bench.load_corpus(write_realtimeqa(tmp_path / "rtqa"))
    raw = bench.run_benchmark(
        evalset,
        hash_settings,
        tmp_path / "work",
        repeat=2,
        scale=[30, 60],
        baseline=False,
        reference=False,
        embedders=(HashEmbedder(), HashEmbedder()),
        isolate=False,
    )
    fig = json.loads(json.dumps(figures(raw)))  # the JSON file holds exactly this
    ing = fig["ingest"]["newsqa"]
    assert ing["articles"] == 5 and ing["stored"] == 5 and ing["chunks"] >= 5
    for key in ("seconds", "articles_per_s", "chunks_per_s", "model_load_seconds",
                "process_seconds", "peak_rss_mb"):  # fmt: skip
        assert ing[key] > 0, key
    assert len(ing["seconds_all"]) == 2
    assert fig["ingest"]["tutorial"] is None and fig["ingest"]["ratio_articles_per_s"] is None
    rei = fig["reingest"]
    assert rei["unchanged"] == 5 and rei["chunks_written"] == 0
    assert rei["ratio_first_over_reingest"] == pytest.approx(
        statistics.median(a["seconds"] / a["reingest"]["seconds"] for a in raw["runs"]["newsqa"])
    )
    for mode in ("newsqa_as_of", "newsqa_no_as_of"):
        scores = fig["retrieval"][mode]
        assert scores["questions"] == 4
        assert scores["hit@10"] == 1.0  # five articles: every gold is retrieved
        assert set(scores) == {"questions", "hit@1", "hit@5", "hit@10", "mrr@10"}
        lat = fig["ask"][mode]
        assert lat["asks"] == 8 and lat["errors"] == 0 and lat["p95_ms"] >= lat["p50_ms"] > 0
    assert {"embed_query", "dense", "keyword", "answer", "total"} <= set(
        fig["ask"]["newsqa_as_of"]["stages_p50_ms"]
    )
    cold = fig["cold_start"]
    assert len(cold["runs"]) == 2 and all(r["exit_status"] in (0, 3) for r in cold["runs"])
    assert cold["exit_seconds"] >= cold["first_answer_seconds"] > 0
    assert cold["torch_imported"] is False  # the ask path needs no torch
    assert cold["slowest_imports"]
    emb = fig["embeddings"]
    assert emb["chunks"] >= 5 and emb["mean_cosine"] == pytest.approx(1.0)
    assert emb["fast_chunks_per_s"] > 0 and emb["ratio_fast_over_reference"] > 0
    sizes = fig["scale"]["sizes"]
    assert [s["chunks"] for s in sizes] == [30, 60]
    for s in sizes:
        assert s["disk_mb"] > 0 and set(s["modes"]) == {"as_of", "no_as_of"}
        for r in s["modes"].values():
            assert r["p50_ms"] > 0 and r["keyword_ms"] > 0 and r["dense_ms"] > 0
            assert r["fts5_keyword_ms"] > 0  # the reference ran on the same chunks
    p50 = [s["modes"]["as_of"]["p50_ms"] for s in sizes]
    assert fig["scale"]["growth"]["p50 as_of"] == pytest.approx(p50[1] / p50[0])
    assert len(fig["targets"]) == 15
    assert "not measured" in format_table(figures(raw))


def test_scale_stops_at_the_budget(tmp_path: Path, hash_settings: Settings) -> None:
    evalset = bench.load_corpus(write_realtimeqa(tmp_path / "rtqa"))
    corpus = tmp_path / "corpus.json"
    bench._write_corpus(evalset, corpus)
    job = {
        "system": "newsqa",
        "corpus": str(corpus),
        "settings": bench.settings_dump(hash_settings),
        "workdir": str(tmp_path / "base"),
    }
    built = bench.run_job(job, isolate=False)
    store = hash_settings.model_copy(update={"data_dir": Path(built["store"])})
    question = [("Who won the Norway chess title?", None)]
    out = scale_bench(store, [20, 10**9], question, tmp_path / "scale", 1, budget=1e-9)
    assert [s["chunks"] for s in out["sizes"]] == [20]  # the first size is always written
    assert "skipped 1,000,000,000 chunks" in out["notes"][0]


def test_a_child_process_reports_its_own_peak_rss(tmp_path: Path, hash_settings: Settings) -> None:
    evalset = bench.load_corpus(write_realtimeqa(tmp_path / "rtqa"), limit=2)
    corpus = tmp_path / "corpus.json"
    bench._write_corpus(evalset, corpus)
    job = {
        "system": "newsqa",
        "corpus": str(corpus),
        "settings": bench.settings_dump(hash_settings),
        "workdir": str(tmp_path / "child"),
    }
    out = bench.run_job(job, isolate=True)
    assert out["isolated"] is True and out["articles"] == 2 and out["stored"] == 2
    assert out["peak_rss_bytes"] > 10 * 1024 * 1024
    assert out["process_seconds"] > out["seconds"] > 0
    assert len(out["asks"]["as_of"]["ranked"]) == 2


@pytest.mark.e2e
def test_tutorial_beside_newsqa_on_the_real_model(tmp_path: Path) -> None:
    evalset = bench.load_corpus(write_realtimeqa(tmp_path / "rtqa"), limit=3)
    raw = bench.run_benchmark(
        evalset, Settings(data_dir=tmp_path / "unused"), tmp_path / "work", repeat=1, scale=[],
        reference=False,
    )  # fmt: skip
    fig = figures(raw)
    new, tut = fig["ingest"]["newsqa"], fig["ingest"]["tutorial"]
    assert tut["articles"] == 3 and tut["chunks"] >= 3 and tut["peak_rss_mb"] > 100
    assert fig["ingest"]["ratio_articles_per_s"] == pytest.approx(tut["seconds"] / new["seconds"])
    assert fig["retrieval"]["tutorial"]["questions"] == 3
    assert fig["ask"]["tutorial"]["p50_ms"] > 0
    assert fig["embeddings"]["mean_cosine"] > 0.97  # ONNX int8 against torch, same model
    assert fig["cold_start"]["torch_imported"] is False
