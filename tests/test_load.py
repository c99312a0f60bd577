"""The load script against a real app on loopback: a small run, checked end to end."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import load


def test_load_script_drives_the_app_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    rc = load.main(
        [
            "--data-dir", str(tmp_path / "store"),
            "--sessions", "1,2",
            "--requests", "4",
            "--seconds", "60",
            "--warmup", "1",
            "--json", str(out),
        ]
    )  # fmt: skip
    data = json.loads(out.read_text())
    assert rc == 0, data
    assert [lv["sessions"] for lv in data["levels"]] == [1, 2]
    for lv in data["levels"]:
        assert lv["requests"] >= 1 and lv["errors"] == 0 and lv["wrong"] == 0
    assert data["memory"]["idle_mb"] > 50  # a real process was measured
    assert data["memory"]["after_load_mb"] >= 50
    assert data["url"].startswith("http://127.0.0.1:")
