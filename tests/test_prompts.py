"""Prompts are files with exactly the variables their callers give."""

from __future__ import annotations

import pytest

import prompts
from qa.errors import ConfigError

EXPECTED = {
    "answer": {"question", "passages", "max_words"},
    "condense": {"history", "question"},
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
