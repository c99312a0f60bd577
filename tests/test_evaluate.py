"""The evaluation harness on tiny synthetic data sets written in each format (never the real data)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from benchmarks import metrics as m
from benchmarks.datasets import (
    DatasetError,
    load_dataset,
    load_realtimeqa,
    load_rgb,
    load_xquad,
    normalize_url,
    outlet,
    strip_html,
)
from benchmarks.evaluate import format_report, main, run_eval
from benchmarks.report import summarize
from qa.core.schema import Answer, Citation, Passage
from qa.core.settings import Settings
from qa.store import Store

# --- synthetic data --------------------------------------------------------------------------------
A = "https://www.cnn.com/2022/01/01/world/volcano/index.html"
B = "https://www.usatoday.com/story/news/2022/01/01/bakery-prices/1"
C = "https://www.cnn.com/2022/01/02/sport/chess/index.html"
D = "https://www.theweek.co.uk/news/orchids"
E = "https://www.cnn.com/2022/01/08/tech/satellite/index.html"
F = "https://www.cnn.com/2022/01/08/us/lighthouse/index.html"

TEXTS = {
    A: "Mount Tavurvur erupted on Friday near Rabaul. Ash covered the harbour town for hours.",
    B: "Bread prices rose again at the Riverside bakery. The baker blamed the cost of flour.",
    C: "Magnus Carlsen won the Norway chess title. He beat the challenger in the final round.",
    D: "Rare orchids bloomed in the glasshouse at Kew. Visitors queued to see the flowers.",
    E: "The Zephyr satellite launched from Kourou on Monday. It will map sea ice for NASA.",
    F: "The old lighthouse at Point Reyes reopened to visitors after repairs to its lens.",
}


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj) + "\n"


def _question(qid: str, sentence: str, choices: list[str], answer: int, evidence: str = "") -> str:
    return _line(
        {
            "question_id": qid,
            "question_date": "2022/01/07",
            "question_source": "CNN",
            "question_url": "https://edition.cnn.com/quiz",
            "question_sentence": sentence,
            "choices": choices,
            "answer": [str(answer)],
            "evidence": evidence,
        }
    )


def write_realtimeqa(root: Path) -> Path:
    """Two weeks; week 1 has a gcs file. Question order in the files is shuffled on purpose."""
    for sub in ("qa", "gold", "gcs"):
        (root / sub).mkdir(parents=True)
    w1, w2 = "20220107", "20220114"
    (root / "qa" / f"{w1}_qa.jsonl").write_text(
        _question(
            f"{w1}_10",
            "Which volcano erupted near Rabaul?",
            ["Etna", "Tavurvur", "Fuji", "Hekla"],
            1,
            'The <a href="https://edition.cnn.com/2022/01/01/world/volcano/index.html?x=1">'
            "volcano</a> erupted &amp; ash fell.",
        )
        + _question(
            f"{w1}_2", "Who won the Norway chess title?", ["Carlsen", "Caruana", "Ding", "Nepo"], 0
        )
        + _question(
            f"{w1}_3",
            "What rose at the Riverside bakery?",
            ["Bread prices", "Rent", "Wages", "Taxes"],
            0,
        )
        + _question(f"{w1}_4", "Which paper has no gold text?", ["a", "b", "c", "d"], 0),
        encoding="utf-8",
    )
    (root / "gold" / f"{w1}_gold.jsonl").write_text(
        _line(
            {
                "question_id": f"{w1}_10",
                "search_result": [
                    {
                        "url": A.replace("www.", "edition.") + "?x=1",
                        "text": TEXTS[A],
                        "authors": ["Ann"],
                        "publish_date": "2022/01/01",
                    }
                ],
            }
        )
        + _line(
            {
                "question_id": f"{w1}_2",
                "search_result": [
                    {"url": C + "/", "text": TEXTS[C], "authors": [], "publish_date": None}
                ],
            }
        )
        + _line(
            {
                "question_id": f"{w1}_3",
                "search_result": [
                    {"url": B, "text": TEXTS[B], "authors": [], "publish_date": "2022/01/01"}
                ],
            }
        )
        + _line(
            {"question_id": f"{w1}_4", "search_result": [{"url": "https://gasprices.aaa.com/"}]}
        ),
        encoding="utf-8",
    )
    (root / "gcs" / f"{w1}_gcs.jsonl").write_text(
        _line(
            {
                "question_id": f"{w1}_10",
                "search_time": "2022/01/07/10:00",
                "search_result": [
                    {
                        "url": "http://www.cnn.com/2022/01/01/world/volcano/index.html#top",
                        "title": "Volcano erupts - CNN",
                        "text": "an ad-laden copy of the page",
                        "authors": [],
                        "publish_date": "2022/01/01",
                    },
                    {
                        "url": B,
                        "title": "Bakery prices - USA Today",
                        "text": TEXTS[B],
                        "authors": [],
                        "publish_date": "2022/01/01",
                    },
                    {
                        "url": D,
                        "title": "Orchids at Kew",
                        "text": TEXTS[D],
                        "authors": [],
                        "publish_date": "2021/05/03",
                    },
                    {
                        "url": "https://www.cnn.com/empty",
                        "title": "empty",
                        "text": "",
                        "authors": [],
                    },
                ],
            }
        )
        + _line({"question_id": f"{w1}_2", "search_time": "x", "search_result": []}),
        encoding="utf-8",
    )
    (root / "qa" / f"{w2}_qa.jsonl").write_text(
        _question(
            f"{w2}_0",
            "Where did the Zephyr satellite launch from?",
            ["Kourou", "Baikonur", "Wallops", "Kodiak"],
            0,
        ),
        encoding="utf-8",
    )
    (root / "gold" / f"{w2}_gold.jsonl").write_text(
        _line(
            {
                "question_id": f"{w2}_0",
                "search_result": [
                    {"url": E, "text": TEXTS[E], "authors": [], "publish_date": "2022/01/08"},
                    {"url": F, "text": TEXTS[F], "authors": [], "publish_date": "2022/01/08"},
                ],
            }
        ),
        encoding="utf-8",
    )
    return root


def write_xquad(path: Path) -> Path:
    data = {
        "version": "1.1",
        "data": [
            {
                "title": "Kew_Gardens",
                "paragraphs": [
                    {
                        "context": TEXTS[D],
                        "qas": [
                            {
                                "id": "x1",
                                "question": "Where did rare orchids bloom?",
                                "answers": [{"text": "Kew", "answer_start": 38}],
                            }
                        ],
                    },
                    {
                        "context": TEXTS[F],
                        "qas": [
                            {
                                "id": "x2",
                                "question": "Which lighthouse reopened?",
                                "answers": [{"text": "Point Reyes", "answer_start": 23}],
                            }
                        ],
                    },
                ],
            },
            {
                "title": "Chess",
                "paragraphs": [
                    {
                        "context": TEXTS[C],
                        "qas": [
                            {
                                "id": "x3",
                                "question": "Who won the Norway chess title?",
                                "answers": [
                                    {"text": "Magnus Carlsen", "answer_start": 0},
                                    {"text": "Carlsen", "answer_start": 7},
                                ],
                            }
                        ],
                    },
                ],
            },
        ],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def write_rgb(path: Path) -> Path:
    shared = "Chess news from around the world ..."
    rows = [
        {
            "id": 1,
            "query": "Which satellite launched from Kourou?",
            "answer": [["Zephyr", "Zephyr-1"]],
            "fakeanswer": "Boreas",
            "positive": [TEXTS[E]],
            "positive_wrong": ["Boreas launched"],
            "negative": [TEXTS[F], shared],
        },
        {
            "id": 0,
            "query": "Who won the Norway chess title?",
            "answer": "Magnus Carlsen",
            "fakeanswer": "Nobody",
            "positive": [TEXTS[C], TEXTS[C]],
            "positive_wrong": ["Nobody won"],
            "negative": [shared, TEXTS[D]],
        },
    ]
    path.write_text("".join(_line(r) for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def rtqa(tmp_path: Path) -> Path:
    return write_realtimeqa(tmp_path / "realtimeqa")


# --- fake `ask` functions ----------------------------------------------------------------------------
def _passage(store: Store, article_id: str, score: float = 1.0) -> Passage:
    art = store.get_article(article_id)
    assert art is not None, article_id
    return Passage(
        chunk_id=f"{article_id}#0",
        article_id=article_id,
        title=art.title,
        source=art.source,
        published=art.published,
        url=art.url,
        start=0,
        end=len(art.text),
        text=art.text,
        score=score,
    )


def _cite(store: Store, article_id: str, quote: str, n: int = 1, shift: int = 0) -> Citation:
    art = store.get_article(article_id)
    assert art is not None
    start = art.text.index(quote) + shift
    return Citation(
        n=n,
        article_id=article_id,
        title=art.title,
        source=art.source,
        published=art.published,
        url=art.url,
        quote=quote,
        start=start,
        end=start + len(quote),
        score=1.0,
    )


@dataclass
class ScriptedAsk:
    """Answers scripted per question; refuses when the question's script needs a missing article."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, question: str, *, store: Store, **kwargs: Any) -> Answer:
        self.calls.append({"question": question, "store": store, **kwargs})
        stored = {normalize_url(a["url"]): a["article_id"] for a in store.list_articles()}
        cid = {u: stored.get(normalize_url(u), "") for u in TEXTS}
        present = {u for u in TEXTS if cid[u]}
        refuse = Answer(
            question,
            "The ingested articles don't cover this.",
            (),
            tuple(_passage(store, cid[u]) for u in (B, D) if u in present),
            False,
            timings={"total": 0.002},
        )
        if question.startswith("Which volcano"):
            if A not in present:
                return refuse
            cite = _cite(store, cid[A], "Mount Tavurvur erupted on Friday near Rabaul.")
            return Answer(
                question,
                f"{cite.quote} [1]",
                (cite,),
                (_passage(store, cid[A]), _passage(store, cid[B])),
                True,
                timings={"total": 0.010},
            )
        if question.startswith("Who won"):
            if C not in present:
                return refuse
            # a wrong citation (not in a gold article, and its offsets are off by one)
            cite = _cite(store, cid[B], "Bread prices rose again", shift=1)
            passages = tuple(_passage(store, cid[u]) for u in (B, B, D, C))
            return Answer(
                question,
                "Bread prices rose again [1].",
                (cite,),
                passages,
                True,
                timings={"total": 0.020},
            )
        if question.startswith("What rose"):
            return refuse
        return Answer(
            question, "No idea [2].", (), (_passage(store, cid[F]),), True, timings={"total": 0.030}
        )


def keyword_ask(question: str, *, store: Store, **_: Any) -> Answer:
    """BM25 over the store's keyword index; the answer quotes the top chunk's first sentence."""
    words = [w for w in re.findall(r"[A-Za-z]+", question.lower()) if len(w) > 3]
    hits = store.keyword_search(" OR ".join(f'"{w}"' for w in words), 10)
    rows = store.chunk_rows([cid for cid, _ in hits])
    passages = tuple(
        Passage(
            chunk_id=cid,
            article_id=r["article_id"],
            title=r["title"],
            source=r["source"],
            published=r["published"],
            url=r["url"],
            start=r["start"],
            end=r["end"],
            text=r["text"],
            score=s,
        )
        for cid, s in hits
        if (r := rows.get(cid))
    )
    if not passages:
        return Answer(question, "The ingested articles don't cover this.", (), (), False)
    top = passages[0]
    quote = top.text.split(". ")[0]
    cite = Citation(
        1,
        top.article_id,
        top.title,
        top.source,
        top.published,
        top.url,
        quote,
        top.start,
        top.start + len(quote),
        1.0,
    )
    return Answer(question, f"{quote} [1]", (cite,), passages, True, timings={"total": 0.001})


# --- datasets ----------------------------------------------------------------------------------------
def test_normalize_url_and_outlet() -> None:
    expected = "www.cnn.com/2022/01/01/a/index.html"
    for url in (
        "https://edition.cnn.com/2022/01/01/a/index.html?x=1#top",
        "http://www.cnn.com/2022/01/01/a/index.html/",
        "HTTPS://WWW.CNN.COM/2022/01/01/a/index.html",
    ):
        assert normalize_url(url) == expected
    assert normalize_url("xquad://Chess/0") == "xquad://Chess/0"
    assert normalize_url(None) == ""
    assert outlet("https://edition.cnn.com/x") == "CNN"
    assert outlet("https://www.usatoday.com/story") == "USA Today"
    assert outlet("https://www.theweek.co.uk/n") == "The Week"
    assert outlet("https://www.example.org/n") == "example.org"
    assert strip_html('A <a href="u">b</a>&amp;c<p>d</p>') == "A b&c d"


def test_load_realtimeqa(rtqa: Path) -> None:
    s = load_realtimeqa(rtqa)
    assert [q.qid for q in s.questions] == ["20220107_2", "20220107_3", "20220107_10", "20220114_0"]
    volcano = s.questions[2]
    assert volcano.answers == ("Tavurvur",)
    assert volcano.gold_keys == (normalize_url(A),)
    assert volcano.evidence == "The volcano erupted & ash fell."
    assert volcano.date == "2022-01-07"
    assert set(volcano.leave_out) == {
        normalize_url(u) for u in (A, B, D, "https://www.cnn.com/empty")
    }
    assert s.questions[3].gold_keys == (normalize_url(E), normalize_url(F))
    by_key = {a.key: a for a in s.articles}
    # gold first: the clean gold text wins over the gcs copy of the same (normalised) URL
    assert len(s.articles) == 6
    assert by_key[normalize_url(A)].text == TEXTS[A]
    assert by_key[normalize_url(A)].title == "Volcano erupts - CNN"
    assert by_key[normalize_url(A)].published == "2022-01-01"
    assert by_key[normalize_url(A)].source == "CNN"
    assert by_key[normalize_url(A)].authors == ("Ann",)
    assert by_key[normalize_url(C)].title == "Magnus Carlsen won the Norway chess title."
    assert by_key[normalize_url(C)].published is None
    assert by_key[normalize_url(D)].source == "The Week"
    assert "www.cnn.com/empty" not in by_key

    small = load_realtimeqa(rtqa, limit=2)
    assert [q.qid for q in small.questions] == ["20220107_2", "20220107_3"]
    assert {a.key for a in small.articles} == {normalize_url(u) for u in (A, B, C, D)}


def test_load_realtimeqa_rejects_other_folders(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not a RealTime QA folder"):
        load_realtimeqa(tmp_path)
    with pytest.raises(DatasetError, match="no evaluation data"):
        load_dataset("realtimeqa", tmp_path / "missing")


def test_load_xquad(tmp_path: Path) -> None:
    s = load_xquad(write_xquad(tmp_path / "x.json"))
    assert [a.key for a in s.articles] == [
        "xquad://Kew_Gardens/0",
        "xquad://Kew_Gardens/1",
        "xquad://Chess/0",
    ]
    assert s.articles[0].title == "Kew Gardens"
    assert s.questions[2].answers == ("Magnus Carlsen", "Carlsen")
    assert s.questions[1].gold_keys == ("xquad://Kew_Gardens/1",)
    small = load_dataset("xquad", tmp_path / "x.json", limit=1)
    assert [a.key for a in small.articles] == ["xquad://Kew_Gardens/0", "xquad://Kew_Gardens/1"]


def test_load_rgb(tmp_path: Path) -> None:
    s = load_rgb(write_rgb(tmp_path / "en_fact.json"))
    assert [q.qid for q in s.questions] == ["0", "1"]  # id order, not file order
    assert len(s.articles) == 5  # C, shared, D, E, F: duplicates across and within questions folded
    chess, sat = s.questions
    assert chess.answer_groups == (("Magnus Carlsen",),)
    assert sat.answer_groups == (("Zephyr", "Zephyr-1"),)
    assert len(chess.gold_keys) == 1
    assert {a.text for a in s.articles if a.key in sat.gold_keys} == {TEXTS[E]}
    assert all("Boreas" not in a.text for a in s.articles)  # counterfactuals are not used


# --- metrics ----------------------------------------------------------------------------------------
def test_normalize_and_contain() -> None:
    assert m.normalize_answer("The “Squid Game”!") == "squid game"
    assert m.normalize_answer("  An  Apple,  a   day ") == "apple day"
    assert m.contains("Netflix renewed “Squid Game” [1].", "“Squid Game”")
    assert m.contains("It was in the U.S. Senate", "U.S.")
    assert not m.contains("the bus left", "US")  # whole words only
    assert m.contains("they said the", "The")  # gold that normalises to nothing: plain lower-case
    assert m.contains_any("Carlsen won", ["Magnus Carlsen", "Carlsen"])
    assert m.contains_all_groups("Zephyr-1 and Kourou", [["Zephyr"], ["Kourou", "French Guiana"]])
    assert not m.contains_all_groups("Zephyr only", [["Zephyr"], ["Kourou"]])
    assert not m.contains_all_groups("anything", [])


def test_rank_metrics() -> None:
    ranked = m.distinct_in_order(["b", "b", None, "d", "c", "d"])
    assert ranked == ["b", "d", "c"]
    assert m.gold_rank(ranked, {"c", "z"}) == 3
    assert m.gold_rank(ranked, {"z"}) is None
    assert m.hit_at(3, 1) == 0.0
    assert m.hit_at(3, 5) == 1.0
    assert m.hit_at(None, 10) == 0.0
    assert m.reciprocal_rank(3) == pytest.approx(1 / 3)
    assert m.reciprocal_rank(11, 10) == 0.0
    assert m.citation_precision(["a", "b", "a"], {"a"}) == (2, 3)
    assert m.ratio(1, 0) is None


def test_summary_statistics() -> None:
    values = [float(x) for x in range(1, 11)]
    assert m.percentile(values, 50) == pytest.approx(5.5)
    assert m.percentile(values, 95) == pytest.approx(9.55)  # numpy's linear method
    assert m.percentile([7.0], 95) == 7.0
    assert m.percentile([], 50) is None
    assert m.mean([1, 2, 6]) == 3
    assert m.mean([]) is None
    assert m.answer_words("Ash fell [1]. It rained [2, 3].") == 4


# --- run_eval ----------------------------------------------------------------------------------------
def test_run_eval_realtimeqa_scores_by_hand(rtqa: Path, settings: Settings) -> None:
    fake = ScriptedAsk()
    result = run_eval(
        "realtimeqa", rtqa, settings=settings, baseline=False, ask_fn=fake, answerer="extractive"
    )
    s = result["summary"]["newsqa"]
    # questions in order: chess (rank 3, wrong citation), bakery (refused, gold B not retrieved
    # first: B at rank 1 of the refusal's related passages), volcano (rank 1), satellite (F = 2nd gold)
    q = {r["id"]: r["newsqa"] for r in result["questions"]}
    assert q["20220107_2"]["rank"] == 3
    assert q["20220107_3"]["rank"] == 1 and not q["20220107_3"]["answered"]
    assert q["20220107_10"]["rank"] == 1
    assert q["20220114_0"]["rank"] == 1
    assert s["questions"] == 4
    assert s["hit@1"] == pytest.approx(3 / 4)
    assert s["hit@5"] == pytest.approx(1.0)
    assert s["mrr@10"] == pytest.approx((1 / 3 + 1 + 1 + 1) / 4)
    assert s["answer_rate"] == pytest.approx(3 / 4)
    assert s["containment"] == pytest.approx(1 / 4)  # only the volcano answer holds its gold text
    assert s["containment_answered"] == pytest.approx(1 / 3)
    assert (s["citations"], s["citations_in_gold"], s["citations_exact"]) == (2, 1, 1)
    assert s["citation_precision"] == pytest.approx(1 / 2)
    assert s["markers_cited"] == 3  # "No idea [2]." cites nothing
    assert s["answer_words_max"] == 7
    assert s["latency_p50_ms"] == pytest.approx(15.0)
    assert result["corpus"]["articles"] == 6
    assert result["corpus"]["newsqa"]["stored"] == 6
    assert result["corpus"]["newsqa"]["chunks"] >= 6
    # the store was opened once and reused; settings point at a temporary data dir
    stores = {id(c["store"]) for c in fake.calls}
    assert len(stores) == 1
    assert all(c["answerer"] == "extractive" for c in fake.calls)
    assert fake.calls[0]["settings"].data_dir != settings.data_dir
    assert not Path(fake.calls[0]["settings"].data_dir).exists()  # cleaned up
    json.dumps(result)  # everything is JSON-serialisable

    text = format_report(result)
    assert "citations exact" in text and "1/2" in text
    assert re.search(r"hit@1\s+0\.750\s+-", text)
    assert "20220107..20220114" in text


def test_run_eval_negatives(rtqa: Path, settings: Settings) -> None:
    result = run_eval(
        "realtimeqa", rtqa, settings=settings, baseline=False, ask_fn=ScriptedAsk(), negatives=True
    )
    roles = {r["id"]: r["negatives"]["role"] for r in result["questions"]}
    # left out: 1st and 3rd (chess, volcano); volcano's search hits take the bakery's gold B
    assert roles == {
        "20220107_2": "left_out",
        "20220107_3": "excluded",
        "20220107_10": "left_out",
        "20220114_0": "kept",
    }
    n = result["negatives"]
    assert (n["left_out"], n["refused"], n["kept"], n["answered"], n["excluded"]) == (2, 2, 1, 1, 1)
    assert n["refusal_rate"] == 1.0 and n["answer_rate"] == 1.0
    assert result["corpus"]["negatives"]["removed_articles"] == 4  # A, C and the hits B, D
    assert "refused 2/2" in format_report(result)


def test_run_eval_xquad_and_rgb_with_keyword_ask(tmp_path: Path, settings: Settings) -> None:
    xq = run_eval(
        "xquad",
        write_xquad(tmp_path / "x.json"),
        settings=settings,
        baseline=False,
        ask_fn=keyword_ask,
    )
    ranks = [r["newsqa"]["rank"] for r in xq["questions"]]
    assert ranks == [1, 1, 1]
    assert xq["summary"]["newsqa"]["containment"] == pytest.approx(1.0)
    assert xq["summary"]["newsqa"]["citations_exact"] == 3
    assert xq["questions"][0]["newsqa"]["retrieved"][0] == "xquad://Kew_Gardens/0"

    rgb = run_eval(
        "rgb",
        write_rgb(tmp_path / "en_fact.json"),
        settings=settings,
        baseline=False,
        ask_fn=keyword_ask,
        limit=2,
    )
    assert [r["newsqa"]["rank"] for r in rgb["questions"]] == [1, 1]
    assert [r["newsqa"]["contained"] for r in rgb["questions"]] == [True, True]
    assert rgb["questions"][0]["newsqa"]["retrieved"][0].startswith("rgb://")


def test_report_compares_with_baseline() -> None:
    def rec(rank: int | None, contained: bool, answered: bool = True) -> dict[str, Any]:
        return {
            "rank": rank,
            "contained": contained,
            "answered": answered,
            "words": 3,
            "retrieved": ["k"],
            "latency": 0.01,
            "citations": 1,
            "citations_in_gold": 1,
            "citations_exact": 1,
            "markers_cited": True,
        }

    questions = [
        {"id": "q1", "newsqa": rec(1, True), "baseline": rec(7, False)},
        {"id": "q2", "newsqa": rec(None, False), "baseline": rec(2, True)},
        {"id": "q3", "newsqa": rec(4, True), "baseline": rec(5, True)},
    ]
    out = summarize(questions)
    assert out["comparison"]["hit@5"] == {
        "wins": 1,
        "losses": 1,
        "ties": 1,
        "win_ids": ["q1"],
        "loss_ids": ["q2"],
    }
    assert out["comparison"]["contained"]["wins"] == 1
    assert out["summary"]["baseline"]["hit@5"] == pytest.approx(2 / 3)
    assert "answer_rate" not in out["summary"]["baseline"]
    result = {
        "dataset": "xquad",
        "data": "d",
        "date": "today",
        "limit": None,
        "settings": {},
        "corpus": {
            "articles": 3,
            "newsqa": {"stored": 3, "chunks": 3, "ingest_seconds": 1.0},
            "baseline": {"articles": 3, "chunks": 4, "seconds": 2.0},
        },
        **out,
    }
    text = format_report(result)
    assert "hit@5: 1 wins, 1 losses, 1 ties (losses: q2)" in text
    assert re.search(r"hit@5\s+0\.667\s+0\.667", text)
    assert re.search(r"chunks\s+3\s+4", text)


def test_main_writes_json(
    rtqa: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import benchmarks.evaluate as ev

    monkeypatch.setenv("NEWSQA_EMBEDDING_BACKEND", "hash")
    monkeypatch.setattr(ev, "_default_ask", lambda: ScriptedAsk())
    out = tmp_path / "r.json"
    assert (
        main(
            ["realtimeqa", "--data", str(rtqa), "--limit", "3", "--no-baseline", "--json", str(out)]
        )
        == 0
    )
    data = json.loads(out.read_text())
    assert data["summary"]["newsqa"]["questions"] == 3
    assert "newsqa eval realtimeqa" in capsys.readouterr().out
    assert main(["realtimeqa", "--data", str(tmp_path / "nope")]) == 1


# --- the real tutorial baseline ---------------------------------------------------------------------
@pytest.mark.e2e
def test_baseline_on_real_model(rtqa: Path, settings: Settings) -> None:
    from benchmarks.baseline import TutorialBaseline
    from benchmarks.datasets import EvalArticle

    long_text = " ".join(f"Sentence {i} about the harbour crane and its cargo." for i in range(60))
    articles = [
        EvalArticle(key=normalize_url(u), title="t", text=t, url=u) for u, t in TEXTS.items()
    ]
    articles.append(EvalArticle(key="long", title="", text=long_text))
    base = TutorialBaseline(Path(settings.data_dir) / "tutorial")
    built = base.build(articles)
    assert built.articles == 7
    assert built.chunks >= 6 + len(long_text) // 1000  # the long text is split, the others not
    hits = base.search("Which satellite launched from Kourou?")
    assert len(hits) == 10 and hits[0].key == normalize_url(E)

    result = run_eval("realtimeqa", rtqa, settings=settings, ask_fn=ScriptedAsk())
    b = result["summary"]["baseline"]
    assert b["questions"] == 4 and b["hit@1"] >= 0.75
    assert result["corpus"]["baseline"]["chunks"] == 6
    assert all(r["baseline"]["words"] > 0 for r in result["questions"])
    assert "vs baseline, hit@5" in format_report(result)


def test_run_eval_records_a_failing_question(tmp_path: Path, settings: Settings) -> None:
    from qa.core.errors import ConfigError

    def flaky(question: str, **kwargs: Any) -> Answer:
        if "lighthouse" in question:
            raise ConfigError("unknown answerer 'x'; available: extractive")
        return keyword_ask(question, **kwargs)

    result = run_eval(
        "xquad", write_xquad(tmp_path / "x.json"), settings=settings, baseline=False, ask_fn=flaky
    )
    failed = result["questions"][1]["newsqa"]
    assert failed["error"] == "ConfigError: unknown answerer 'x'; available: extractive"
    assert not failed["answered"] and failed["rank"] is None
    s = result["summary"]["newsqa"]
    assert s["errors"] == 1 and s["answer_rate"] == pytest.approx(2 / 3)
    assert s["hit@1"] == pytest.approx(2 / 3)
    assert re.search(r"questions whose ask raised\s+1", format_report(result))


def test_left_out_half_keeps_groups_together() -> None:
    from benchmarks.datasets import EvalQuestion
    from benchmarks.evaluate import left_out_half

    def q(qid: str, *gold: str) -> EvalQuestion:
        return EvalQuestion(qid=qid, question="?", answers=("a",), gold_keys=gold)

    questions = [q("1", "p0"), q("2", "p0"), q("3", "p1"), q("4", "p2", "p1"), q("5", "p1"), q("6")]
    # groups by first gold: p0 -> 0 (out), p1 -> 1 (kept), p2 -> 2 (out), "6" -> 3 (kept)
    assert left_out_half(questions) == {"1", "2", "4"}


def test_every_citation_of_a_real_eval_run_is_exact(
    rtqa: Path, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real `ask` over a whole run (main store and negatives): every citation quotes its
    article exactly and every [n] has a citation; with --workdir the stores are kept and reused."""
    work = tmp_path / "work"
    result = run_eval(
        "realtimeqa", rtqa, settings=settings, baseline=False, negatives=True, workdir=work
    )
    records = [r["newsqa"] for r in result["questions"]]
    assert sum(r["answered"] for r in records) >= 2  # not a vacuous check
    for r in records:
        assert r["error"] is None
        assert r["citations_exact"] == r["citations"], r
        assert r["markers_cited"], r
        if r["answered"]:
            assert r["citations"] >= 1 and "[1]" in r["answer"]
    s = result["summary"]["newsqa"]
    assert s["citations_exact"] == s["citations"] > 0
    kept = sorted(p.name for p in (work / "realtimeqa-all").iterdir())
    assert kept == ["negatives", "newsqa"]

    # a second run reuses both stores (nothing is ingested) and scores the same
    import ingest as ingest_pkg

    def no_ingest(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the kept store should have been reused")

    monkeypatch.setattr(ingest_pkg, "ingest", no_ingest)
    again = run_eval(
        "realtimeqa", rtqa, settings=settings, baseline=False, negatives=True, workdir=work
    )
    assert again["summary"] == result["summary"] or (
        {
            k: v
            for k, v in again["summary"]["newsqa"].items()
            if "latency" not in k and "ms" not in k
        }
        == {k: v for k, v in s.items() if "latency" not in k and "ms" not in k}
    )
    assert again["corpus"]["newsqa"]["chunks"] == result["corpus"]["newsqa"]["chunks"]
    # other ingest settings: the kept store does not fit, so it is rebuilt
    monkeypatch.undo()
    other = settings.model_copy(update={"chunk_size": settings.chunk_size + 100})
    rebuilt = run_eval("realtimeqa", rtqa, settings=other, baseline=False, workdir=work)
    assert rebuilt["summary"]["newsqa"]["questions"] == 4


def test_report_shows_what_the_support_check_dropped() -> None:
    def rec(claims: int, dropped: int, fallback: bool) -> dict[str, Any]:
        diagnostics = {"claims": claims, "dropped": dropped, "fallback": fallback}
        return {
            "answered": True,
            "answer": "x [1]",
            "contained": True,
            "words": 2,
            "rank": 1,
            "retrieved": ["a"],
            "citations": 1,
            "citations_in_gold": 1,
            "citations_exact": 1,
            "markers_cited": True,
            "latency": 1.0,
            "wall": 1.0,
            "timings": {"retrieve": 0.01},
            "diagnostics": diagnostics,
            "error": None,
        }

    questions = [
        {"id": str(i), "question": "q", "gold": ["x"], "gold_keys": ["a"], "newsqa": r}
        for i, r in enumerate([rec(3, 1, False), rec(2, 2, True), rec(1, 0, False)])
    ]
    s = summarize(questions)["summary"]["newsqa"]
    assert (s["generated_sentences"], s["dropped_sentences"], s["fallbacks"]) == (6, 3, 1)
    assert s["dropped_share"] == pytest.approx(0.5)
    text = format_report(
        {
            "dataset": "realtimeqa",
            "date": "d",
            "data": "x",
            "questions": questions,
            **summarize(questions),
        }
    )
    assert "generated sentences dropped" in text and "3/6 (0.500)" in text
    assert "fell back to extractive" in text and "1/3" in text
