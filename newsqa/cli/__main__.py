"""`python -m newsqa.cli ...`: the same as `newsqa ...`."""

from __future__ import annotations

from newsqa.cli.program import entrypoint

if __name__ == "__main__":
    entrypoint()
