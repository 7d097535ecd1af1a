"""A run fails when a test skips for a reason not on tests/skip_allowlist.txt; the end of the run
prints every skip with the allow-list entry that permits it, so a quiet skip cannot hide."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

ALLOWLIST = Path(__file__).resolve().parent / "skip_allowlist.txt"


@dataclass(frozen=True)
class Allowed:
    reason: str
    why: str


def read_allowlist(path: Path = ALLOWLIST) -> list[Allowed]:
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        reason, sep, why = line.partition(" | ")
        if not sep or not reason.strip() or not why.strip():
            raise pytest.UsageError(f"{path}:{number}: expected '<skip reason text> | <why it is allowed>'")
        entries.append(Allowed(reason.strip(), why.strip()))
    return entries


def skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")


def allowing(entries: list[Allowed], reason: str) -> Allowed | None:
    return next((entry for entry in entries if entry.reason in reason), None)


class SkipGuard:
    def __init__(self) -> None:
        self.entries = read_allowlist()
        self.skips: list[tuple[str, str, Allowed | None]] = []

    @property
    def unlisted(self) -> list[tuple[str, str]]:
        return [(nodeid, reason) for nodeid, reason, entry in self.skips if entry is None]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped and not hasattr(report, "wasxfail"):
            reason = skip_reason(report)
            self.skips.append((report.nodeid, reason, allowing(self.entries, reason)))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.unlisted and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        write = terminalreporter.write_line
        terminalreporter.section("skips (allow-list: tests/skip_allowlist.txt)")
        for entry in self.entries:
            count = sum(1 for _, _, allowed in self.skips if allowed == entry)
            write(f"allowed ({count} skipped): {entry.reason} -- {entry.why}")
        for nodeid, reason in self.unlisted:
            write(f"NOT ALLOWED: {nodeid}: {reason}", red=True)
        if self.unlisted:
            write(f"{len(self.unlisted)} skip(s) not on the allow-list: the run fails", red=True, bold=True)


def register(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # xdist workers report to the controller, which judges
        config.pluginmanager.register(SkipGuard(), "skip-allowlist")
