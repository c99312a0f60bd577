"""The article store that ingest and answering both sit on: SQLite (text, chunks, keyword
index, journal) beside Chroma (vectors), with `check` and `repair`.

    database.py  schema, version, connections, transactions, errors
    journal.py   the writer lock and the journal of vector writes
    filters.py   Filters: dates, outlets, articles, as-of, inside both indexes
    vectors.py   the Chroma collection and the metadata beside each vector
    terms.py     the keyword index's words: tokens, stems, BM25 weights
    keyword.py   the keyword index (impact-ordered BM25 postings): writes, health, rebuild
    postings.py  the keyword search: the top k read best-first from the postings
    articles.py  writing, deleting and reading articles
    search.py    dense and keyword search, and the chunk rows of their hits
    store.py     Store: one data directory opened, over all of the above
    health.py    check() and its report
    repair.py    repair()
    shared.py    shared_store(): one open store per data directory per process, refreshed on change
"""

from __future__ import annotations

from qa.store.articles import PreparedArticle
from qa.store.database import SCHEMA_VERSION
from qa.store.filters import Filters
from qa.store.health import Finding, RepairReport, check
from qa.store.repair import repair
from qa.store.shared import close_shared, shared_store
from qa.store.store import Store

__all__ = [
    "SCHEMA_VERSION",
    "Filters",
    "Finding",
    "PreparedArticle",
    "RepairReport",
    "Store",
    "check",
    "close_shared",
    "repair",
    "shared_store",
]
