"""`python -m ingest PATH_OR_URL...`: the same as `newsqa ingest`."""

from __future__ import annotations

import sys

from cli import main

if __name__ == "__main__":
    sys.exit(main(["ingest", *sys.argv[1:]]))
