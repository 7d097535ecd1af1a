"""Data checks in a background thread, so a page stays usable while they run.

The job owns its `ProgressState` (per-table counters a page polls) and `CancelToken` (cancels
the running statement server-side). Its result is the `DataRun`, or a one-line error.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from analyzers.data import DataOptions
from analyzers.data_run import DataRun, run_data_checks
from analyzers.engine import AnalysisConfig
from studio.catalog import Catalog
from studio.db import reader
from studio.errors import StudioError
from studio.progress import CancelToken, ProgressState


@dataclass
class DataJob:
    progress: ProgressState = field(default_factory=ProgressState)
    token: CancelToken = field(default_factory=CancelToken)
    result: DataRun | None = None
    error: str | None = None
    thread: threading.Thread | None = None

    @property
    def done(self) -> bool:
        return self.thread is not None and not self.thread.is_alive()

    def cancel(self) -> None:
        self.token.cancel()

    def wait(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)


def start(
    catalog: Catalog, url: str, config: AnalysisConfig | None = None, options: DataOptions | None = None
) -> DataJob:
    job = DataJob()

    def work() -> None:
        try:
            job.result = run_data_checks(
                catalog, reader(url), config=config, options=options, progress=job.progress, cancel=job.token
            )
        except StudioError as exc:
            job.error = str(exc)
        except Exception as exc:  # a thread's error would vanish: keep one line for the page
            job.error = f"the data checks stopped: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"

    job.thread = threading.Thread(target=work, name="schema-studio-data-checks", daemon=True)
    job.thread.start()
    return job
