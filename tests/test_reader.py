"""The reader: its training data pipeline, its encoder, a few-step training run that exports and
loads, and the shipped model."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks import reader_data as rd

PAGE = """<html><body><h1 id="title">Riverton</h1>
<div class="para-wrap"><pre>Riverton is a city on the Blue River. The city council passed a budget of $48.1 million in March. The budget year begins July 1.</pre>
<p><strong class="question">How much was the budget?</strong>
<span class="answer">$48.1 million</span></p>
<p><strong class="question">Which river is Riverton on?</strong>
<span class="answer">the Blue River</span></p></div>
<div class="para-wrap"><pre>The mayor of Riverton is Tom Hadley. He was elected in 2021 &amp; again in 2025.</pre>
<p><strong class="question">Who is the mayor of Riverton?</strong>
<span class="answer">Tom Hadley</span></p></div>
</body></html>"""


def _squad_json(path: Path, context: str, qas: list[dict[str, object]]) -> None:
    path.write_text(
        json.dumps({"data": [{"title": "T", "paragraphs": [{"context": context, "qas": qas}]}]}),
        encoding="utf-8",
    )


@pytest.fixture()
def train_dir(tmp_path: Path) -> Path:
    root = tmp_path / "train"
    page = root / "squad1_train_explorer_html" / "explore" / "1.1" / "train"
    page.mkdir(parents=True)
    (page / "Riverton.html").write_text(PAGE, encoding="utf-8")
    from openpyxl import Workbook

    sheet = root / "squad2_dev_xlsx"
    sheet.mkdir()
    wb = Workbook()
    ws = wb.active
    ws.append(
        [
            "title",
            "context",
            "question",
            "ids",
            "answers",
            "answer_start",
            "plausible_answers",
            "plausible_answers_start",
            "is_impossible",
        ]
    )
    ctx = ["Lakes freeze in winter.", "Ice fishing is popular."]
    ws.append(
        [
            "Lakes",
            repr(ctx),
            "When do lakes freeze?",
            "a1",
            "['in winter']",
            "[13]",
            "No answer",
            "--",
            "False",
        ]
    )
    ws.append(
        [
            "Lakes",
            repr(ctx),
            "When do rivers boil?",
            "a2",
            "No answer",
            "--",
            "['in winter']",
            "[13]",
            "True",
        ]
    )
    # a paragraph XQuAD also holds: it must be dropped
    ws.append(
        [
            "X",
            repr(["Shared paragraph of XQuAD."]),
            "What is shared?",
            "a3",
            "['Shared paragraph']",
            "[0]",
            "-",
            "--",
            "False",
        ]
    )
    wb.save(sheet / "squad_2.0_dev_complete_11873.xlsx")
    sub = root / "squad2_train_subset"
    sub.mkdir()
    _squad_json(
        sub / "train-v2.0.json",
        "Owls hunt at night.",
        [
            {
                "question": "When do owls hunt?",
                "id": "b1",
                "is_impossible": False,
                "answers": [{"text": "at night", "answer_start": 10}],
            },
            {"question": "When do owls sing?", "id": "b2", "is_impossible": True, "answers": []},
        ],
    )
    shifts = root / "squadshifts"
    shifts.mkdir()
    for name in ("new_wiki_v1.0.json", "reddit_v1.0.json", "amazon_reviews_v1.0.json"):
        _squad_json(
            shifts / name,
            "The bridge opened in 1932. It is 500 metres long.",
            [
                {
                    "question": "When did the bridge open?",
                    "id": name,
                    "answers": [{"text": "1932", "answer_start": 21}],
                }
            ],
        )
    qed = root / "qed_nq"
    qed.mkdir()
    rec = {
        "paragraph_text": "Paris is the capital of France .",
        "question_text": "what is the capital of france",
        "title_text": "France",
        "answer_spans": [[0, 5]],
    }
    (qed / "nq-train-00-qed.jsonlines").write_text(json.dumps(rec) + "\n", encoding="utf-8")
    return root


@pytest.fixture()
def xquad(tmp_path: Path) -> Path:
    path = tmp_path / "xquad.json"
    _squad_json(path, "Shared paragraph of XQuAD.", [])
    return path


def test_loaders_read_every_source_and_drop_xquad_paragraphs(train_dir: Path, xquad: Path) -> None:
    items, counts = rd.load_all(train_dir, xquad)
    assert counts["squad1"] == 3
    assert counts["squad2dev"] == 2 and counts["dropped-xquad:squad2dev"] == 1
    assert counts["squad2train"] == 1  # only the unanswerable question of the SQuAD 2.0 train slice
    assert counts["qed"] == 1 and counts["shifts-wiki"] == 1
    assert all("XQuAD" not in it.context for it in items)
    for it in items:
        for s, e in it.answers:
            assert 0 <= s < e <= len(it.context)
    budget = next(it for it in items if it.question == "How much was the budget?")
    assert budget.context[slice(*budget.answers[0])] == "$48.1 million"
    mayor = next(it for it in items if it.question.startswith("Who is the mayor"))
    assert "&" in mayor.context  # HTML entities unescaped
    boil = next(it for it in items if it.question == "When do rivers boil?")
    assert boil.answers == ()
    nq = next(it for it in items if it.source == "qed")
    assert nq.question == "What is the capital of france?"


def test_examples_hold_the_answer_span_and_negatives_do_not_mention_it(
    train_dir: Path, xquad: Path
) -> None:
    items, _ = rd.load_all(train_dir, xquad)
    examples = rd.build_examples(items, seed=1, question_negative_rate=1.0)
    kinds = rd.describe(examples)
    assert kinds["pos"] >= 5 and kinds["neg-para"] >= 1 and kinds["neg-question"] >= 1
    assert kinds["neg-article"] >= 1 and kinds["neg-unanswerable"] >= 1
    by_q = {it.question: it for it in items}
    for ex in examples:
        it = by_q[ex.question]
        answers = [it.context[s:e] for s, e in it.answers]
        if ex.kind == "pos":
            assert ex.span is not None
            assert ex.text[ex.span[0] : ex.span[1]] in answers
            assert ex.text in it.context
        else:
            assert ex.span is None
            if ex.kind != "neg-question":
                assert not any(a.lower() in ex.text.lower() for a in answers)
    budget = [ex for ex in examples if ex.question == "How much was the budget?"]
    assert {ex.text for ex in budget if ex.kind == "pos"} == {
        "The city council passed a budget of $48.1 million in March."
    }
    assert "The budget year begins July 1." in {ex.text for ex in budget if ex.kind == "neg-para"}


def test_heldout_sets_mark_the_answer_sentence_and_the_left_out_case(
    train_dir: Path, xquad: Path
) -> None:
    items, _ = rd.load_all(train_dir, xquad)
    sets = rd.heldout_candidates(items)
    budget = [(c, g) for it, c, g in sets if it.question == "How much was the budget?"]
    own = next((c, g) for c, g in budget if g is not None)
    assert "$48.1 million" in own[0][own[1]]
    left_out = next(c for c, g in budget if g is None)
    assert left_out and not any("48.1" in t for t in left_out)
    assert any(g is None for it, _, g in sets if not it.answers)


def test_cross_article_negatives_share_rare_words_but_never_the_answer() -> None:
    item = rd.QAItem(
        "squad1",
        "Riverton",
        "The Riverton council passed a budget of $48.1 million. The budget year begins July 1.",
        "How much was the Riverton council budget?",
        ((40, 53),),
    )
    other = [
        rd.QAItem(
            "squad1",
            "Lakeside",
            "The Lakeside council budget rose last year. Riverton council members visited. "
            "Riverton council budget is $48.1 million, a paper said.",
            "q",
            ((0, 3),),
        ),
        *(
            rd.QAItem("squad1", f"Filler {i}", f"Filler story number {i} about owls.", "q", ())
            for i in range(1000)
        ),
    ]
    pool = rd.SentenceIndex([item, *other])
    examples = rd.build_examples([item], seed=0, cross_negatives=2, pool=pool)
    cross = [ex for ex in examples if ex.kind == "neg-cross"]
    # the other article's sentences sharing two rare words; never the one holding the answer
    assert sorted(ex.text for ex in cross) == [
        "Riverton council members visited.",
        "The Lakeside council budget rose last year.",
    ]
    assert all(ex.title == "Lakeside" and ex.group == examples[0].group for ex in cross)
    assert all(ex.span is None for ex in cross)
    # without a pool (the default) there are none
    assert not [ex for ex in rd.build_examples([item], seed=0) if ex.kind == "neg-cross"]


def test_encoder_marks_text_tokens_and_offsets_point_into_the_text() -> None:
    from qa.answering.reader import MAX_TOKENS, best_spans, encode_pairs, load_tokenizer
    from qa.core.embeddings import bundled_model_dir

    tok = load_tokenizer(bundled_model_dir())
    texts = ["The council passed a $48.1 million budget.", "Short.", "word " * 300]
    enc = encode_pairs(tok, "How much was the budget?", texts)
    assert enc.ids.shape[0] == 3 and enc.ids.shape[1] <= MAX_TOKENS
    for i, text in enumerate(texts):
        for k in np.flatnonzero(enc.text_mask[i]):
            a, b = enc.offsets[i][k]
            assert 0 <= a < b <= len(text)
        assert enc.types[i][np.flatnonzero(enc.text_mask[i])].min() == 1
    start = np.zeros(enc.ids.shape, dtype=np.float32)
    end = np.zeros(enc.ids.shape, dtype=np.float32)
    first = int(np.flatnonzero(enc.text_mask[0])[4])
    start[0, first] = 5.0
    end[0, first + 3] = 5.0  # "$", "48", ".", "1"
    span = best_spans(start, end, enc.text_mask)[0]
    assert span == (first, first + 3)
    a, b = enc.offsets[0][span[0]][0], enc.offsets[0][span[1]][1]
    assert texts[0][a:b] == "$48.1"
    # with titles: each comes after its text, is read as context, and is never part of a span
    titled = encode_pairs(tok, "How much was the budget?", texts, ["Riverton budget", "", "T"])
    assert np.array_equal(titled.text_mask[1], enc.text_mask[1])  # no title: as before
    for i in range(len(texts)):
        inside = np.flatnonzero(titled.text_mask[i])
        assert [titled.offsets[i][k] for k in inside] == [
            enc.offsets[i][k] for k in np.flatnonzero(enc.text_mask[i])
        ][: len(inside)]
        assert titled.ids.shape[1] <= MAX_TOKENS
    row = titled.ids[0][titled.mask[0] == 1].tolist()
    title_ids = tok.encode("Riverton budget", add_special_tokens=False).ids
    assert row[-len(title_ids) - 1 : -1] == title_ids and row[-1] == tok.token_to_id("[SEP]")
    assert titled.text_mask[0][len(row) - len(title_ids) - 1 :].sum() == 0


@pytest.mark.e2e
def test_a_few_training_steps_export_a_model_that_loads_and_scores(
    train_dir: Path, xquad: Path, tmp_path: Path
) -> None:
    from benchmarks import train_reader as tr
    from qa.answering.reader import Reader, load_tokenizer
    from qa.core.embeddings import bundled_model_dir

    items, _ = rd.load_all(train_dir, xquad)
    examples = rd.build_examples(items, seed=0)
    model_dir = bundled_model_dir()
    rows = tr.to_rows(load_tokenizer(model_dir), examples)
    assert rows and any(r.label == 1.0 for r in rows)
    # a question's sentences stay in one batch, for the listwise loss
    for batch in tr.batches(rows, 4, __import__("random").Random(0)):
        groups = {r.group for r in batch}
        assert all(
            sum(1 for r in rows if r.group == g) == sum(1 for r in batch if r.group == g)
            for g in groups
        )
    for r in rows:
        if r.label:
            assert r.text_mask[r.start] == 1 and r.text_mask[r.end] == 1 and r.start <= r.end
    model, summary = tr.train(rows, model_dir, epochs=1, batch_size=4, log=lambda _m: None)
    assert summary["steps"] == -(-len(rows) // 4)
    target = tmp_path / "out" / "reader.int8.onnx"
    tr.export(model, target)
    assert 5e6 < target.stat().st_size < 30e6
    texts = ["The city council passed a budget of $48.1 million in March.", "Owls hunt at night."]
    scores = Reader(target).score("How much was the budget?", texts)
    assert len(scores) == 2
    for s, text in zip(scores, texts, strict=True):
        assert 0.0 <= s.p <= 1.0
        assert s.start is not None and s.end is not None and 0 <= s.start < s.end <= len(text)
    results = tr.decide(Reader(target), rd.heldout_candidates(items))
    cal = tr.calibrate(results)
    assert 0.0 < cal["threshold"] < 1.0 and cal["sets_answerable"] >= 1


@pytest.mark.e2e
def test_the_shipped_reader_matches_its_card_and_finds_the_answer_sentence() -> None:
    from qa.answering.reader import META_FILE, MODEL_FILE, Reader, reader_meta

    meta = reader_meta()
    assert META_FILE.is_file() and MODEL_FILE.is_file()
    assert hashlib.sha256(MODEL_FILE.read_bytes()).hexdigest() == meta["sha256"]
    assert (MODEL_FILE.parent / "READER.md").read_text(encoding="utf-8").count(meta["sha256"]) == 1
    question = "How much was the budget the council passed?"
    texts = [
        "The budget year begins July 1.",
        "The Riverton city council on Tuesday passed a budget of $48.1 million.",
        "Council member Ana Ruiz voted against the plan.",
        question,
    ]
    scores = Reader().score(question, texts)
    best = max(range(len(texts)), key=lambda i: scores[i].p)
    assert best == 1
    assert scores[1].p >= meta["threshold"]
    assert "48.1" in texts[1][scores[1].start : scores[1].end]
    off_topic = Reader().score(question, ["Owls hunt at night in the forests of Norway."])[0]
    assert off_topic.p < meta["threshold"]
