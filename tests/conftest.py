"""Shared fixtures, and the summary of measured sizes and times printed after a run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.matrix import Combination


def pytest_make_parametrize_id(config, val, argname):
    if isinstance(val, Combination):
        return val.id
    return None


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Every measurement a test recorded with record_property, as one table (xdist workers included)."""
    rows = []
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", []):
        if report.when != "call":
            continue
        for name, value in report.user_properties:
            rows.append((report.nodeid.split("[", 1)[-1].rstrip("]"), name, value))
    if rows:
        terminalreporter.section("measurements")
        for combination, name, value in sorted(rows):
            terminalreporter.write_line(f"{combination:40} {name:32} {value}")


@pytest.fixture
def project_copy(tmp_path: Path):
    """A writable copy of a rendered project, for tests that edit it."""
    import shutil

    def copy(source: Path) -> Path:
        dest = tmp_path / source.name
        shutil.copytree(source, dest)
        return dest

    return copy
