"""The prompt loader and strict renderer: the texts are plain files in the `prompts` package.

`render("answer", question=..., passages=...)` fails on a missing or an unknown variable instead of
silently leaving a hole: a prompt and its caller can never drift apart unnoticed.
"""

from __future__ import annotations

import string
from functools import cache
from importlib import resources

from qa.core.errors import ConfigError

PACKAGE = "prompts"  # the package whose data files are the prompts


@cache
def load(name: str) -> str:
    """The text of `prompts/<name>.md`."""
    try:
        return resources.files(PACKAGE).joinpath(f"{name}.md").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"no prompt named {name!r} in the prompts package") from None


def variables(name: str) -> set[str]:
    """The `{placeholders}` a prompt expects."""
    return {f for _, f, _, _ in string.Formatter().parse(load(name)) if f}


def render(name: str, **values: str) -> str:
    """Fill a prompt; every placeholder must be given and nothing else.

    Raises:
        ConfigError: a variable is missing or unknown.
    """
    want = variables(name)
    missing, unknown = want - values.keys(), values.keys() - want
    if missing or unknown:
        raise ConfigError(f"prompt {name!r}: missing {sorted(missing)}, unknown {sorted(unknown)}")
    return load(name).format(**values)


def available() -> list[str]:
    """Names of all prompts shipped."""
    return sorted(p.name[:-3] for p in resources.files(PACKAGE).iterdir() if p.name.endswith(".md"))
