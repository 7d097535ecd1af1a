"""Progress reporting and cancellation for long runs, shared by the CLI and the studio.

A run announces its plan (`start({unit: steps})`, units are e.g. tables), then reports each
step as it begins and ends (`begin(unit, label)`, `advance(unit, label)`) and finally
`finish()`. Three reporters implement the protocol: `TerminalProgress` (stderr: a bar on a
terminal, plain lines otherwise), `ProgressState` (thread-safe counters a page polls) and
`CallbackProgress` (any callable receiving `ProgressEvent`s).

`CancelToken` lets another thread stop a run: the running code registers how to cancel
what it is doing right now (e.g. a database statement, server-side) and checks
`cancelled` between steps.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TextIO


class Progress(Protocol):
    def start(self, plan: dict[str, int]) -> None: ...

    def begin(self, unit: str, label: str) -> None: ...

    def advance(self, unit: str, label: str) -> None: ...

    def finish(self) -> None: ...


class NullProgress:
    def start(self, plan: dict[str, int]) -> None:
        pass

    def begin(self, unit: str, label: str) -> None:
        pass

    def advance(self, unit: str, label: str) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass(frozen=True)
class ProgressEvent:
    kind: str  # start | begin | advance | finish
    unit: str = ""
    label: str = ""
    done: int = 0
    total: int = 0


class CallbackProgress:
    """Adapts a plain callable `fn(ProgressEvent)` to the protocol; counts overall steps."""

    def __init__(self, fn: Callable[[ProgressEvent], None]):
        self._fn = fn
        self._done = 0
        self._total = 0

    def start(self, plan: dict[str, int]) -> None:
        self._done, self._total = 0, sum(plan.values())
        self._fn(ProgressEvent("start", total=self._total))

    def begin(self, unit: str, label: str) -> None:
        self._fn(ProgressEvent("begin", unit, label, self._done, self._total))

    def advance(self, unit: str, label: str) -> None:
        self._done += 1
        self._fn(ProgressEvent("advance", unit, label, self._done, self._total))

    def finish(self) -> None:
        self._fn(ProgressEvent("finish", done=self._done, total=self._total))


@dataclass
class UnitState:
    total: int
    done: int = 0
    current: str = ""  # the step running now, empty when idle


class ProgressState:
    """Per-unit counters, safe to read from another thread (a Streamlit fragment polls them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._units: dict[str, UnitState] = {}
        self.started_at: float | None = None
        self.finished = False

    def start(self, plan: dict[str, int]) -> None:
        with self._lock:
            self._units = {unit: UnitState(total=n) for unit, n in plan.items()}
            self.started_at = time.monotonic()
            self.finished = False

    def begin(self, unit: str, label: str) -> None:
        with self._lock:
            self._units.setdefault(unit, UnitState(total=1)).current = label

    def advance(self, unit: str, label: str) -> None:
        with self._lock:
            state = self._units.setdefault(unit, UnitState(total=1))
            state.done = min(state.done + 1, state.total)
            state.current = ""

    def finish(self) -> None:
        with self._lock:
            self.finished = True
            for state in self._units.values():
                state.current = ""

    def snapshot(self) -> dict[str, UnitState]:
        with self._lock:
            return {unit: UnitState(s.total, s.done, s.current) for unit, s in self._units.items()}

    @property
    def fraction(self) -> float:
        units = self.snapshot().values()
        total = sum(u.total for u in units)
        return 1.0 if not total else sum(u.done for u in units) / total


class TerminalProgress:
    """Progress on a stream (stderr): a redrawn bar on a terminal, one plain line per step otherwise."""

    WIDTH = 28

    def __init__(self, stream: TextIO | None = None, *, bar: bool | None = None):
        self.stream = stream or sys.stderr
        self.bar = self.stream.isatty() if bar is None else bar
        self._done = 0
        self._total = 0

    def start(self, plan: dict[str, int]) -> None:
        self._done, self._total = 0, sum(plan.values())
        if not self.bar:
            self._line(f"data checks: {self._total} checks on {len(plan)} tables")

    def begin(self, unit: str, label: str) -> None:
        if self.bar:
            self._draw(f"{unit}: {label}")

    def advance(self, unit: str, label: str) -> None:
        self._done += 1
        if self.bar:
            self._draw(f"{unit}: {label}")
        else:
            self._line(f"[{self._done}/{self._total}] {unit}: {label}")

    def finish(self) -> None:
        if self.bar:
            self._draw("done")
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self, text: str) -> None:
        filled = int(self.WIDTH * self._done / self._total) if self._total else self.WIDTH
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(f"\r\x1b[2K[{bar}] {self._done}/{self._total} {text[:60]}")
        self.stream.flush()

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


@dataclass
class CancelToken:
    """Set from any thread; the running code registers how to interrupt its current step."""

    _event: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _interrupt: Callable[[], None] | None = None

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        self._event.set()
        with self._lock:
            interrupt = self._interrupt
        if interrupt is not None:
            interrupt()

    def on_cancel(self, interrupt: Callable[[], None] | None) -> None:
        """What `cancel()` calls to stop the step running now (None when between steps)."""
        with self._lock:
            self._interrupt = interrupt
        if interrupt is not None and self.cancelled:
            interrupt()
