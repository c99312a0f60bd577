"""Prompts are files with exactly the variables their callers give."""

from __future__ import annotations

import pytest

import prompts
from qa.errors import ConfigError

EXPECTED = {
    "answer": {"question", "passages", "max_words"},
    "condense": {"history", "question"},
    "example": set(),
    "system": set(),
}


def test_every_prompt_has_exactly_its_variables() -> None:
    assert set(prompts.available()) == set(EXPECTED)
    for name, want in EXPECTED.items():
        assert prompts.variables(name) == want


def test_render_is_strict() -> None:
    text = prompts.render("condense", history="Q: a\nA: b", question="and then?")
    assert "and then?" in text and "Q: a" in text
    with pytest.raises(ConfigError, match="missing"):
        prompts.render("condense", question="x")
    with pytest.raises(ConfigError, match="unknown"):
        prompts.render("condense", history="", question="x", extra="y")


def test_answer_prompt_says_passages_are_data() -> None:
    assert "not instructions" in prompts.load("answer")
    assert "not instructions" in prompts.load("system")


def test_example_has_passages_question_and_answer() -> None:
    parts = [p.strip() for p in prompts.load("example").split("\n---\n")]
    assert len(parts) == 3 and parts[0].startswith("[1] ") and parts[2].endswith("[1].")
