"""Prompts are files with exactly the variables their callers give."""

from __future__ import annotations

import pytest

from qa.answering import prompting
from qa.core.errors import ConfigError

EXPECTED = {
    "answer": {"question", "passages", "max_words"},
    "condense": {"history", "question"},
    "example": set(),
    "system": set(),
}


def test_every_prompt_has_exactly_its_variables() -> None:
    assert set(prompting.available()) == set(EXPECTED)
    for name, want in EXPECTED.items():
        assert prompting.variables(name) == want


def test_render_is_strict() -> None:
    text = prompting.render("condense", history="Q: a\nA: b", question="and then?")
    assert "and then?" in text and "Q: a" in text
    with pytest.raises(ConfigError, match="missing"):
        prompting.render("condense", question="x")
    with pytest.raises(ConfigError, match="unknown"):
        prompting.render("condense", history="", question="x", extra="y")


def test_answer_prompt_says_passages_are_data() -> None:
    assert "not instructions" in prompting.load("answer")
    assert "not instructions" in prompting.load("system")


def test_example_has_passages_question_and_answer() -> None:
    parts = [p.strip() for p in prompting.load("example").split("\n---\n")]
    assert len(parts) == 3 and parts[0].startswith("[1] ") and parts[2].endswith("[1].")
