"""What an ingest did, item by item (`IngestReport`, `ItemResult`), and how far it is (`Progress`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["ingested", "updated", "unchanged", "duplicate", "failed"]
STATUSES: tuple[Status, ...] = ("ingested", "updated", "unchanged", "duplicate", "failed")


@dataclass(frozen=True)
class ItemResult:
    """What happened to one article (or one input that yielded none)."""

    origin: str
    status: Status
    article_id: str | None = None
    title: str | None = None
    chunks: int = 0
    reason: str | None = None
    duplicate_of: str | None = None
    similarity: float | None = None


@dataclass
class IngestReport:
    """The outcome of one `ingest()` run, item by item."""

    items: list[ItemResult] = field(default_factory=list)
    seconds: float = 0.0
    data_dir: str = ""

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {s: 0 for s in STATUSES}
        for it in self.items:
            out[it.status] += 1
        return out

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not any(it.status == "failed" for it in self.items)

    @property
    def chunks_written(self) -> int:
        return sum(it.chunks for it in self.items if it.status in ("ingested", "updated"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "data_dir": self.data_dir,
            "seconds": round(self.seconds, 3),
            "counts": self.counts(),
            "chunks_written": self.chunks_written,
            "items": [asdict(it) for it in self.items],
        }

    def summary(self) -> str:
        c = self.counts()
        line = ", ".join(f"{c[s]} {s}" for s in STATUSES)
        n = self.chunks_written
        return f"{line} ({n} {'chunk' if n == 1 else 'chunks'} embedded in {self.seconds:.1f} s)"


@dataclass(frozen=True)
class Progress:
    """How far an ingest is, as given to its `on_progress` callback.

    `stage` "reading": `done` of `total` inputs (files, URLs, articles) read so far; `total` is
    None when the inputs come from an iterator of unknown length. "embedding": `done` chunks
    embedded and written so far (`total` None). `item` names the input just read.
    """

    stage: Literal["reading", "embedding"]
    done: int
    total: int | None = None
    item: str = ""

    @property
    def fraction(self) -> float | None:
        """`done / total` while reading, when the total is known."""
        return self.done / self.total if self.total else None


OnProgress = Callable[[Progress], None]
