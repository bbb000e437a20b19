"""Shared fixtures, and the summary printed after a run: the engine, the measurements, the cost per target."""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from dft.matrix import Combination

# What one language's build tier may cost, in seconds of test time summed over its targets (both
# workers' time added up), on this project's 2-core machines. Five languages at this budget keep
# the whole suite within 25 minutes warm; a cold run adds the forge and first downloads on top,
# within 60 minutes. The cost table compares each language with it.
LANGUAGE_BUDGET_S = 480


def pytest_make_parametrize_id(config, val, argname):
    if isinstance(val, Combination):
        return val.id
    return None


def bracket_id(nodeid: str) -> str:
    """A test's parameter id (its target or combination), without xdist's `@group` suffix."""
    nodeid = re.sub(r"@[^\[\]]*$", "", nodeid)
    return nodeid.split("[", 1)[-1].rstrip("]") if "[" in nodeid else nodeid.rsplit("::", 1)[-1]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    # Every phase's report: passed setups and teardowns are filed under "", not "passed".
    reports = [r for outcome in terminalreporter.stats.values() for r in outcome
               if isinstance(r, pytest.TestReport)]
    build_reports = [r for r in reports if "build" in getattr(r, "keywords", {})]
    if build_reports:
        from dft import docker

        workers = getattr(config.option, "numprocesses", None) or 1
        terminalreporter.section("engine")
        terminalreporter.write_line(f"{docker.engine()}; {workers} worker(s)")
    write_measurements(terminalreporter, reports)
    write_costs(terminalreporter, build_reports)


def write_measurements(terminalreporter, reports) -> None:
    """Every measurement a test recorded with record_property, as one table (xdist workers included)."""
    rows = [(bracket_id(r.nodeid), name, value) for r in reports if r.when == "call"
            for name, value in r.user_properties]
    if rows:
        terminalreporter.section("measurements")
        for combination, name, value in sorted(rows):
            terminalreporter.write_line(f"{combination:40} {name:36} {value}")


def write_costs(terminalreporter, build_reports) -> None:
    """Seconds each build target cost (its builds included, setup and teardown too), by language."""
    if not build_reports:
        return
    seconds: dict[str, float] = defaultdict(float)
    tests: dict[str, set] = defaultdict(set)
    for report in build_reports:
        # test_build's items are named by target (language first); the rest by their file.
        name = bracket_id(report.nodeid) if report.nodeid.startswith("tests/test_build.py::") and "[" in report.nodeid \
            else f"({Path(report.nodeid.split('::')[0]).stem})"
        seconds[name] += report.duration
        tests[name].add(report.nodeid)
    terminalreporter.section("cost per target (seconds of test time, both workers added up)")
    languages: dict[str, float] = defaultdict(float)
    for name in sorted(seconds, key=seconds.get, reverse=True):
        terminalreporter.write_line(f"{name:48} {len(tests[name]):4} tests {seconds[name]:8.1f} s")
        if not name.startswith("("):
            languages[name.split("-", 1)[0]] += seconds[name]
    for language, total in sorted(languages.items()):
        terminalreporter.write_line(f"{'language ' + language:48} {'':10} {total:8.1f} s "
                                    f"(budget {LANGUAGE_BUDGET_S} s)")
    terminalreporter.write_line(f"{'all build-tier tests':48} {'':10} {sum(seconds.values()):8.1f} s")


@pytest.fixture
def project_copy(tmp_path: Path):
    """A writable copy of a rendered project, for tests that edit it."""

    def copy(source: Path) -> Path:
        dest = tmp_path / source.name
        shutil.copytree(source, dest)
        return dest

    return copy
