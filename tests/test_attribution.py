"""Speaker attribution (`qa.answering.attribution.speaker`) on real news sentences and on written ones.

Labelled set: tests/data/speakers.jsonl. It holds no evaluation text: each line gives where a sentence is
(a file under ../shared/eval, the question_id or line, the search hit, the character start/end of the
sentence in that article text), the sha256 of the sentence, its set and its label. The test reads the
sentences from ../shared/eval at run time and skips when that folder is absent.

How the sentences were drawn (reproduced by `test_sample_is_the_seeded_stream`):
- every article text of realtimeqa gcs/*.jsonl and gold/*.jsonl (`search_result[*].text`) and every
  rgb/en_fact.json passage (`positive`, `negative`), in sorted file order, split into sentences
  (`_split_sentences`); kept: 20-600 characters with a quotation mark or a speech verb (`_CANDIDATE`),
  first occurrence of each distinct sentence;
- split in two halves by `int(sha256[:8], 16) % 2`. The rules were developed on half 0 (shuffled with
  random.Random(1); its first ~850 sentences were read while writing the rules). The test set is half 1,
  shuffled with random.Random(15), never looked at until the rules were written; its ranks 0..232 were
  all labelled by hand in order, stopping at the 100th sentence with a named speaker. Nothing was
  skipped, so the 100 are not picked for being easy. Sentences of one article can sit in both halves.

Labelling rule (by reading each sentence; `before` is the article text before it):
- The speaker is who the sentence itself says makes its statement or quotation: the subject of a speech
  or communication verb (said, told, added, wrote, announced, tweeted, warned, argued, ...), the object
  of "according to", "As X noted", or the named speaker of a quotation in the sentence. A sentence has
  none when the attribution is only inside a subordinate clause ("after the ministry said"; "a man who
  prosecutors said ..."), negated, a question, a passive without agent, or absent (a continued quotation,
  a plain statement, scare quotes). With several, the one attached to the quotation, else the main
  clause's first.
- named (100 sentences, asserted >= 0.85 exact match): the speaker phrase contains a proper name. The
  label is the name as written: the maximal run of capitalised words ending at the name, with the
  capitalised titles joined to it ("Dartmouth President Philip J. Hanlon", "CEO Elon Musk"); lowercase
  roles ("spokesman Dwight Mitchell" -> "Dwight Mitchell"), a leading "The", sentence-initial words that
  would be lowercase mid-sentence ("Former", "Department spokesman" -> "Chris Gautz"), appositives
  after a comma and a person's "of Place" are left out; "of/for/to/and/the" inside an organisation or
  title stay ("United States Ambassador to Japan Rahm Emmanuel"). A name in apposition to a role wins
  ("according to his manager, Robbie Kass" -> "Robbie Kass").
- none (every no-speaker sentence among those ranks: 66, asserted <= 0.15 get a speaker). They contain a
  quotation mark or a speech verb by construction, so they are hard negatives.
- pronoun (reported): the speaker is he/she/it/they; the label is the referent as written at its nearest
  mention before the sentence, as a careful reader resolves it, or null when a reader cannot tell.
- nameless (reported): "officials", "the ministry": the phrase as written from its determiner.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from qa.answering.attribution import speaker

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
DATA = Path(__file__).resolve().parent / "data" / "speakers.jsonl"
NAMED_TARGET = 0.85
FALSE_ATTRIBUTION_LIMIT = 0.15
needs_eval = pytest.mark.skipif(
    not EVAL.is_dir(),
    reason=f"evaluation corpora not found at {EVAL} (the labelled sentences live there)",
)


def _records() -> list[dict[str, Any]]:
    lines = DATA.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[1:]]  # line 1: {"rule": ..., "sampling": ...}


@cache
def _articles(file: str) -> dict[tuple[Any, ...], str]:
    """Article texts of one eval file, by (question_id or line, [field,] hit)."""
    out: dict[tuple[Any, ...], str] = {}
    lines = (EVAL / file).read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, 1):
        row = json.loads(line)
        if file.startswith("rgb/"):
            for field in ("positive", "negative"):
                for i, text in enumerate(row[field]):
                    out[(n, field, i)] = text
        else:
            for i, hit in enumerate(row.get("search_result") or []):
                if hit.get("text"):
                    out[(row["question_id"], i)] = hit["text"]
    return out


def _article(rec: dict[str, Any]) -> str:
    if rec["file"].startswith("rgb/"):
        return _articles(rec["file"])[(rec["line"], rec["field"], rec["hit"])]
    return _articles(rec["file"])[(rec["question_id"], rec["hit"])]


@pytest.fixture(scope="module")
def labelled() -> list[tuple[dict[str, Any], str, str]]:
    """(record, sentence, text before it) for every labelled item, sha256-checked."""
    if not EVAL.is_dir():
        pytest.skip(f"evaluation corpora not found at {EVAL} (the labelled sentences live there)")
    out = []
    for rec in _records():
        text = _article(rec)
        sentence = text[rec["start"] : rec["end"]]
        assert hashlib.sha256(sentence.encode()).hexdigest() == rec["sha256"], rec
        out.append((rec, sentence, text[: rec["start"]]))
    return out


def _run(labelled: list[tuple[dict[str, Any], str, str]], which: str) -> list[tuple[Any, ...]]:
    return [
        (rec["rank"], rec["speaker"], speaker(sentence, before), sentence)
        for rec, sentence, before in labelled
        if rec["set"] == which
    ]


def _report(title: str, rows: list[tuple[Any, ...]], misses: list[tuple[Any, ...]]) -> None:
    print(f"\n{title}: {len(rows) - len(misses)}/{len(rows)} = {1 - len(misses) / len(rows):.3f}")
    for rank, want, got, sentence in misses:
        print(f"  miss [{rank}] want {want!r} got {got!r} | {sentence[:140]}")


def test_labelled_set_shape() -> None:
    recs = _records()
    sets = [r["set"] for r in recs]
    assert sets.count("named") == 100
    assert sets.count("none") >= 20
    assert [r["rank"] for r in recs] == list(range(len(recs)))  # every rank labelled, none skipped
    assert recs[-1]["set"] == "named"  # labelling stopped at the 100th named speaker
    assert all(r["speaker"] is None for r in recs if r["set"] == "none")
    assert all(r["speaker"] for r in recs if r["set"] == "named")


def test_named_speaker_accuracy(labelled: list[tuple[dict[str, Any], str, str]]) -> None:
    rows = _run(labelled, "named")
    misses = [r for r in rows if r[1] != r[2]]
    _report("named speaker, exact match", rows, misses)
    assert len(rows) == 100
    assert 1 - len(misses) / len(rows) >= NAMED_TARGET


def test_no_false_attribution(labelled: list[tuple[dict[str, Any], str, str]]) -> None:
    rows = _run(labelled, "none")
    wrong = [r for r in rows if r[2] is not None]
    print(
        f"\nno-speaker sentences given a speaker: {len(wrong)}/{len(rows)} = {len(wrong) / len(rows):.3f}"
    )
    for rank, _, got, sentence in wrong:
        print(f"  false [{rank}] got {got!r} | {sentence[:140]}")
    assert len(wrong) / len(rows) <= FALSE_ATTRIBUTION_LIMIT


def test_pronoun_and_nameless_sets(labelled: list[tuple[dict[str, Any], str, str]]) -> None:
    """Reported, not targets; the floors only catch a regression (0.64 and 0.62 when written)."""
    for which, floor in (("pronoun", 0.5), ("nameless", 0.5)):
        rows = _run(labelled, which)
        misses = [r for r in rows if r[1] != r[2]]
        _report(f"{which} speaker, exact match", rows, misses)
        assert 1 - len(misses) / len(rows) >= floor


# --- the sampling procedure, kept here so the stream above can be re-drawn ---------------------------

_ABBREV = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "sen",
    "rep",
    "gov",
    "gen",
    "lt",
    "col",
    "sgt",
    "capt",
    "cmdr",
    "adm",
    "maj",
    "st",
    "jr",
    "sr",
    "inc",
    "corp",
    "co",
    "ltd",
    "no",
    "vs",
    "jan",
    "feb",
    "mar",
    "apr",
    "aug",
    "sept",
    "sep",
    "oct",
    "nov",
    "dec",
    "prof",
    "rev",
    "hon",
    "u.s",
    "u.n",
    "u.k",
    "e.u",
    "d.c",
    "a.m",
    "p.m",
    "pres",
    "atty",
    "supt",
    "det",
    "insp",
    "brig",
    "fr",
    "mt",
    "ft",
    "ave",
    "blvd",
    "dept",
    "est",
    "approx",
    "etc",
    "i.e",
    "e.g",
}
_END = re.compile(r'[.!?]+["”’)\]]*(?=\s+["“‘(\[]?[A-Z0-9])')
_CANDIDATE = re.compile(
    r'["“”]|\b(?:said|says|say|saying|told|tells|added|adds|announced|warned|stated|wrote|writes|tweeted|'
    r"according to|explained|noted|claimed|insisted|argued|declared|confirmed|reported|replied|responded|"
    r"asked)\b"
)


def _split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: paragraphs by newline, then sentence ends not after "Sen."."""
    out = []
    for para in re.finditer(r"[^\n]+", text):
        p0, s, start = para.start(), para.group(), 0
        for m in _END.finditer(s):
            end = m.end()
            tail = re.search(r"([A-Za-z][A-Za-z.]*)\.?[\"”’)\]]*$", s[start:end])
            if tail and s[m.start()] == ".":
                head = s[start : m.start()]
                w = head.rsplit(None, 1)[-1].lower().rstrip(".") if head.split() else ""
                w = w.lstrip('("“')
                if w in _ABBREV or re.fullmatch(r"[a-z]", w):
                    continue
            seg = s[start:end]
            out.append((p0 + start + len(seg) - len(seg.lstrip()), p0 + end))
            start = end
        seg = s[start:]
        if seg.strip():
            out.append((p0 + start + len(seg) - len(seg.lstrip()), p0 + len(s.rstrip())))
    return out


def _texts() -> Iterator[tuple[dict[str, Any], str]]:
    for f in sorted((EVAL / "realtimeqa").glob("*/*.jsonl")):
        if f.parent.name not in ("gcs", "gold"):
            continue
        for line in f.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            for i, hit in enumerate(row.get("search_result") or []):
                if hit.get("text"):
                    yield (
                        {
                            "file": str(f.relative_to(EVAL)),
                            "question_id": row["question_id"],
                            "hit": i,
                        },
                        hit["text"],
                    )
    lines = (EVAL / "rgb" / "en_fact.json").read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, 1):
        row = json.loads(line)
        for field in ("positive", "negative"):
            for i, text in enumerate(row[field]):
                yield {"file": "rgb/en_fact.json", "line": n, "field": field, "hit": i}, text


def _stream(half: int, seed: int) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for loc, text in _texts():
        for a, b in _split_sentences(text):
            s = text[a:b]
            if not 20 <= len(s) <= 600 or not _CANDIDATE.search(s):
                continue
            digest = hashlib.sha256(s.encode()).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            if int(digest[:8], 16) % 2 == half:
                out.append({**loc, "start": a, "end": b, "sha256": digest})
    random.Random(seed).shuffle(out)
    return out


@needs_eval
def test_sample_is_the_seeded_stream() -> None:
    stream = _stream(half=1, seed=15)
    keys = ("file", "question_id", "line", "field", "hit", "start", "end", "sha256")
    for rec in _records():
        drawn = stream[rec["rank"]]
        assert {k: rec.get(k) for k in keys} == {k: drawn.get(k) for k in keys}, rec["rank"]
    dev = {r["sha256"] for r in _stream(half=0, seed=1)}
    assert not dev & {
        r["sha256"] for r in _records()
    }  # no test sentence was in the development half


# --- each pattern, on sentences written for these tests ----------------------------------------------

CASES = [
    # "X said" and friends
    ("Tom Hadley said the budget passed.", "", "Tom Hadley"),
    ("The Kremlin has said the talks were useful.", "", "Kremlin"),
    ("Hadley said in a statement that the budget was balanced.", "", "Hadley"),
    ("The budget is balanced, Hadley told the Riverton Daily Ledger on Tuesday.", "", "Hadley"),
    ("Hadley wrote on Twitter: “The budget is balanced.”", "", "Hadley"),
    ("The Riverton Daily Ledger reported that the budget passed.", "", "Riverton Daily Ledger"),
    ("But Hadley said the vote was close.", "", "Hadley"),
    ("Asked about the vote, Hadley said it was fair.", "", "Hadley"),
    ("The budget, Hadley said, is balanced.", "", "Hadley"),
    ("Smith and Jones said the deal was done.", "", "Smith and Jones"),
    ("Mayor Tom Hadley announced the budget and said it was balanced.", "", "Mayor Tom Hadley"),
    ("Hadley was quoted as saying the budget was fair.", "", "Hadley"),
    # quotations
    ("“We are proud of this budget,” said Mayor Tom Hadley.", "", "Mayor Tom Hadley"),
    ('"It passed," Mayor Tom Hadley said on Tuesday.', "", "Mayor Tom Hadley"),
    ("“It is a good day,” Hadley added.", "", "Hadley"),
    ("Hadley said, “We are done.”", "", "Hadley"),
    # according to / as X noted / passive with agent
    ("The council approved $48.2 million, according to Reuters.", "", "Reuters"),
    ("As Reuters reported, the talks stalled.", "", "Reuters"),
    ("The plan was announced by Mayor Tom Hadley on Monday.", "", "Mayor Tom Hadley"),
    # appositives and post-modifiers
    ("Jane Roe, the city's spokesperson, said the vote was unanimous.", "", "Jane Roe"),
    ("The vote was unanimous, said the city's spokesperson, Jane Roe.", "", "Jane Roe"),
    ("“The figures are final,” the city council's finance chair, Ana Ruiz, said.", "", "Ana Ruiz"),
    ("Hadley, 54, said the budget was fair.", "", "Hadley"),
    ("Rep. Peter DeFazio of Oregon said the bill would pass.", "", "Rep. Peter DeFazio"),
    # titles: capitalised ones stay, lowercase roles and sentence-initial "Former" go
    (
        "Defense Minister Brigadier General Mohammad Reza Ashtiani said Iran could export arms.",
        "",
        "Defense Minister Brigadier General Mohammad Reza Ashtiani",
    ),
    (
        "White House press secretary Karine Jean-Pierre told reporters he was fine.",
        "",
        "Karine Jean-Pierre",
    ),
    ("Former President Donald Trump said he would run.", "", "President Donald Trump"),
    ("GOP Sen. Susan Collins said she would vote yes.", "", "GOP Sen. Susan Collins"),
    (
        "Secretary of State Antony Blinken said talks would continue.",
        "",
        "Secretary of State Antony Blinken",
    ),
    (
        "European Commission President Ursula von der Leyen said the EU would act.",
        "",
        "European Commission President Ursula von der Leyen",
    ),
    (
        "Councilwoman Maria de la Cruz said the vote was rushed.",
        "",
        "Councilwoman Maria de la Cruz",
    ),
    # organisations and nameless speakers
    ("The White House said Biden was fine.", "", "White House"),
    (
        "The Department of the Interior said the lease was canceled.",
        "",
        "Department of the Interior",
    ),
    (
        "The Department of Forestry and Fire Management said the fire was out.",
        "",
        "Department of Forestry and Fire Management",
    ),
    ("Russia's Defense Ministry said the drills were over.", "", "Russia's Defense Ministry"),
    ("The ministry said the drills were routine.", "", "The ministry"),
    ("Officials said the road would reopen Monday.", "", "Officials"),
    ("Police said the suspect fled.", "", "Police"),
    ("The vote was 5-2, the council said in a statement.", "", "the council"),
    (
        "The budget was balanced, according to a spokesperson for the city.",
        "",
        "a spokesperson for the city",
    ),
    # pronouns, resolved only when the text before makes it clear
    ('"We did it," he said.', "Mayor Tom Hadley opened the meeting.", "Mayor Tom Hadley"),
    ('"We did it," he said.', "", None),
    ('"We did it," she said.', "Tom Hadley met Jane Roe.", None),
    ('"We did it," she said.', "Mr. Tom Hadley met Mrs. Jane Roe.", "Mrs. Jane Roe"),
    (
        '"It was tight," she added.',
        "Jane Roe chairs the council. She said the vote was close.",
        "Jane Roe",
    ),
    (
        "“We will rebuild,” she said.",
        "Hadley said the town would recover. “It was a hard year,” Jane Roe said.",
        "Jane Roe",
    ),
    # no speaker
    ("The budget year begins July 1.", "", None),
    ("Stocks rose after the ministry said it would cut rates.", "", None),
    ("A budget that the mayor said was balanced passed on Tuesday.", "", None),
    ("Starbucks has not confirmed the date.", "", None),
    ("Hadley did not say when the vote would be held.", "", None),
    ("What did Hadley say about the budget?", "", None),
    ("The plan was announced Monday.", "", None),
    ("The company added $1.8 billion in revenue.", "", None),
    ('Critics call it a "no-deal" plan.', "", None),
    ("I said no.", "", None),
    ("“We are done.”", "", None),
]


@pytest.mark.parametrize(("sentence", "before", "expected"), CASES)
def test_pattern(sentence: str, before: str, expected: str | None) -> None:
    assert speaker(sentence, before) == expected
