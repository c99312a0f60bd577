"""Value normalisation and grouping for "sources agree / differ" (`qa.answering.agreement`)."""

from __future__ import annotations

import pytest

from qa.answering.agreement import comparable, compare, group_versions, normalize_value

KEYS = [
    ("$48.2 million", "num:48200000:usd"),
    ("48.2m dollars", "num:48200000:usd"),
    ("US$48,200,000", "num:48200000:usd"),
    ("48.2 million", "num:48200000:"),
    ("$1.2bn.", "num:1200000000:usd"),
    ("€5bn", "num:5000000000:eur"),
    ("£3.5 million", "num:3500000:gbp"),
    ("48.20", "num:48.2:"),
    (".5", "num:0.5:"),
    ("three", "num:3:"),
    ("twenty-five million", "num:25000000:"),
    ("one hundred and five", "num:105:"),
    ("a dozen eggs", "num:12:egg"),
    ("a million people", "num:1000000:person"),
    ("12.5%", "num:12.5:%"),
    ("-3%", "num:-3:%"),
    ("50 percentage points", "num:50:pp"),
    ("5,000 acres", "num:5000:acre"),
    ("about 300 people", "num:300:person"),
    ("more than 300 people", "num:>300:person"),
    ("at least 12", "num:>=12:"),
    ("2025", "num:2025:"),
    ("13 March 2025", "date:2025-03-13"),
    ("March 13, 2025", "date:2025-03-13"),
    ("2025-03-13", "date:2025-03-13"),
    ("Thursday, Mar. 13th, 2025", "date:2025-03-13"),
    ("3/13/2025", "date:2025-03-13"),
    ("March 2025", "date:2025-03"),
    ("March 13", "date:--03-13"),
    ("Mayor Tom Hadley", "name:tom hadley"),
    ("The Riverton Daily Ledger", "name:riverton daily ledger"),
    ("José Pérez", "name:jose perez"),
    ("Hadley's", "name:hadley"),
    ("Karine Jean-Pierre", "name:karine jean pierre"),
    ("the mayor", "text:mayor"),
    ("A budget cut.", "text:budget cut"),
]


@pytest.mark.parametrize(("text", "key"), KEYS)
def test_normalize_value(text: str, key: str) -> None:
    assert normalize_value(text) == key


SAME = [
    # numbers: units, scales, currency spellings, words, trailing zeros, hedges
    ("$48.2 million", "48.2m dollars"),
    ("$48.2 million", "US$48,200,000"),
    ("48.2m dollars", "US$48,200,000"),
    ("$48.2 million", "48.2 million"),  # no unit on one side: compatible
    ("$48.2 million", "$48.2 million budget"),
    ("48.2", "48.20"),
    ("three", "3"),
    ("3 people", "three people"),
    ("12.5%", "12.5 percent"),
    ("12.5 per cent", "12.5%"),
    ("5bn euros", "€5 billion"),
    ("1,500", "1.5 thousand"),
    ("about 300 people", "300 people"),
    ("nearly $2 million", "$2,000,000"),
    ("5,000 acres", "5000 acre"),
    # dates
    ("13 March 2025", "March 13, 2025"),
    ("13 March 2025", "2025-03-13"),
    ("Thursday, March 13, 2025", "13th of March 2025"),
    ("March 2025", "13 March 2025"),  # a month contains its days: no contradiction
    ("March 13", "13 March 2025"),
    ("March", "March 2025"),
    ("Mar. 2025", "March 2025"),
    # names: case, accents, punctuation, articles, titles, possessives, subset with the last word
    ("Mayor Tom Hadley", "Tom Hadley"),
    ("Mayor Tom Hadley", "Hadley"),
    ("Tom Hadley", "HADLEY"),
    ("José Pérez", "Jose Perez"),
    ("The Riverton Daily Ledger", "Riverton Daily Ledger"),
    ("Riverton Daily Ledger", "Daily Ledger"),
    ("Hadley's", "Hadley"),
    ("Sen. Susan Collins", "Susan Collins"),
    ("Defense Minister Brigadier General Mohammad Reza Ashtiani", "Mohammad Reza Ashtiani"),
    ("Defense Minister Brigadier General Mohammad Reza Ashtiani", "General Ashtiani"),
    # text
    ("a budget cut", "The budget cut."),
]

DIFFERENT = [
    ("48.2 million", "48.1 million"),
    ("$48.2 million", "$48.1 million"),
    ("$48.2 million", "$48.2 billion"),
    ("$48.2 million", "€48.2 million"),
    ("$48.2 million", "$48,213,000"),  # a rounding is a different figure unless rounding=True
    ("48 million", "48.2 million"),
    ("three", "4"),
    ("12.5%", "12.5 percentage points"),
    ("more than 300", "300"),
    ("at least 300", "more than 300"),
    ("300 turkeys", "300 cows"),
    ("13 March 2025", "14 March 2025"),
    ("13 March 2025", "13 March 2024"),
    ("March 2025", "April 2025"),
    ("12 March", "13 March 2025"),
    ("March 2025", "2025"),  # a date and a number
    ("Tom Hadley", "Jane Hadley"),
    ("Tom", "Tom Hadley"),  # the shorter must keep the last word
    ("Riverton Daily Ledger", "Riverton Gazette"),
    ("budget cut", "no budget cut"),  # text never matches by subset
    ("the mayor", "the deputy mayor"),
    ("Hadley", "$48.2 million"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same(a: str, b: str) -> None:
    assert compare(a, b)
    assert compare(b, a)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different(a: str, b: str) -> None:
    assert not compare(a, b)
    assert not compare(b, a)


def test_missing_unit_is_compatible_with_any_unit() -> None:
    assert compare("12.5%", "12.5")
    assert compare("48.2 million", "48.2 million people")
    assert not compare("12.5%", "12.5 people")


def test_rounding_option() -> None:
    assert compare("$48.2 million", "$48,213,000", rounding=True)
    assert compare("$48.2 million", "$48,249,999", rounding=True)
    assert not compare("$48.2 million", "$48,250,000", rounding=True)
    assert not compare("$48.2 million", "$48.1 million", rounding=True)
    assert not compare("$48,200,000", "$48,213,000", rounding=True)  # both exact as written
    assert compare("48 million", "48.2 million", rounding=True)


def test_group_versions_numbers() -> None:
    items = [
        ("$48.2 million", "ledger"),
        ("$48.1 million", "gazette"),
        ("48.2m dollars", "wire"),
        ("US$48,200,000", "tribune"),
        ("48.1 million", "herald"),
    ]
    assert group_versions(items) == [
        ("num:48200000:usd", ["ledger", "wire", "tribune"]),
        ("num:48100000:usd", ["gazette", "herald"]),
    ]


def test_group_versions_names_take_the_most_specific_key() -> None:
    items = [("Hadley", 1), ("Jane Roe", 2), ("Mayor Tom Hadley", 3), ("Roe", 4), ("Tom Hadley", 5)]
    assert group_versions(items) == [("name:tom hadley", [1, 3, 5]), ("name:jane roe", [2, 4])]


def test_group_versions_does_not_chain() -> None:
    """ "March 2025" matches both days, but the two days differ: it joins the first group only."""
    items = [("13 March 2025", "a"), ("March 2025", "b"), ("14 March 2025", "c")]
    assert group_versions(items) == [("date:2025-03-13", ["a", "b"]), ("date:2025-03-14", ["c"])]
    later = [("March 2025", "b"), ("13 March 2025", "a"), ("14 March 2025", "c")]
    assert group_versions(later) == [("date:2025-03-13", ["b", "a"]), ("date:2025-03-14", ["c"])]


def test_group_versions_single_and_empty() -> None:
    assert group_versions([]) == []
    assert group_versions([("three", None)]) == [("num:3:", [None])]


def test_group_versions_rounding() -> None:
    items = [("$48.2 million", "a"), ("$48,213,000", "b")]
    assert len(group_versions(items)) == 2
    assert group_versions(items, rounding=True) == [("num:48213000:usd", ["a", "b"])]


INSIDE = [
    # a reader's span is often longer than the value: the value inside it is read
    ("Nov. 3 and plans to also release more countdowns", "date:--11-03"),
    ("the Nara Medical University hospital", "name:nara medical university"),
    ("up 12% from last year", "num:12:%"),
    ("in March 2022 the council", "date:2022-03"),
    ("Pfizer's Covid-19 vaccine", "name:pfizer covid 19"),  # "Covid-19" is no figure
    ("But the council", "text:but the council"),  # a capitalised function word is no name
    ("it may rain", "text:it may rain"),  # "may" alone is no date
    ("Old Kumar’s Almanac", "name:old kumar almanac"),  # a curly possessive
    ("on Tuesday", "day:tue"),  # a weekday is no name
    ("Monroe County", "name:monroe county"),
]


@pytest.mark.parametrize(("text", "key"), INSIDE)
def test_a_value_inside_a_phrase_is_read(text: str, key: str) -> None:
    assert normalize_value(text) == key


def test_answers_equal_but_for_case_are_the_same() -> None:
    assert compare("James Webb Space telescope", "James Webb Space Telescope")
    assert not compare("James Webb Space Telescope", "Hubble Space Telescope")


COMPARABLE = [
    ("$48.2 million", "48.1 million", True),  # one without a unit
    ("$48.2 million", "$48.1 million", True),
    ("13 March 2025", "March 14", True),
    ("Tom Hadley", "Jane Roe", True),
    ("$48.2 million", "300 people", False),  # another unit: another question
    ("$48.2 million", "2025", False),  # a bare year beside an amount
    ("2024", "2025", True),
    ("$48.2 million", "13 March 2025", False),
    ("Tom Hadley", "13 March 2025", False),
    ("at city hall", "in the council chamber", False),  # phrases never disagree
    ("at city hall", "at city hall", False),
    ("960", "SMACS 0723", True),  # a figure read from inside the other answer
    ("Tom Hadley", "13 March 2025", False),  # a month is no name
    ("Tom Hadley", "on Tuesday", False),
    ("on Tuesday", "Wednesday", True),
]


@pytest.mark.parametrize(("a", "b", "expected"), COMPARABLE)
def test_comparable(a: str, b: str, expected: bool) -> None:
    assert comparable(a, b) is expected
    assert comparable(b, a) is expected
