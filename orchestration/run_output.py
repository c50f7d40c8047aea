"""What an operator sees of a run started from the command line.

The terminal shows progress by stage (ingest, dbt build, checks, publish), with a bar for
the ingest sources and for dbt's nodes; the full Dagster and dbt log goes to
``$RECALL_HOME/logs/<run>.log``, and ``--verbose`` streams it as well. Without a terminal
(cron, a service manager) each stage prints one line when it ends.

Dagster's console logger and dagster-dbt write to ``sys.stderr`` and ``sys.stdout``; for
the length of a run both are replaced by a writer into the log file, which also reads dbt's
``N of M`` lines for the build bar. Stage changes reach the display through the
``recall_progress`` Dagster logger, which a command-line run configures and a run from the
Dagster UI leaves out.
"""

from __future__ import annotations

import io
import logging
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from dagster import InitLoggerContext, logger
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from orchestration.contract import SOURCES

PROGRESS_LOGGER = "recall_progress"

# The stages of a run, in the order it reaches them.
STAGES = {"ingest": "Ingest", "build": "dbt build", "check": "Checks", "publish": "Publish"}


def stage_of(step_key: str) -> str:
    """The stage of a step of the job: the ingest, dbt and publish assets have one step
    each; every other step runs asset checks (gates and expectation suites)."""
    if step_key == "landing_ingest":
        return "ingest"
    if step_key == "recall_dbt_models":
        return "build"
    if step_key.startswith("published__"):
        return "publish"
    return "check"


# dbt's result lines: "12 of 690 OK created sql view model staging.stg_contacts ... [OK in 0.1s]"
_DBT_RESULT = re.compile(r"\b(\d+) of (\d+) (?!START\b)[A-Z][A-Z-]+\b")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class RunDisplay:
    """Stage progress on ``stream``: a live display on a terminal, one line per finished
    stage otherwise, nothing when ``enabled`` is false (``--verbose`` streams the log)."""

    def __init__(self, stream: TextIO, *, enabled: bool = True) -> None:
        self._console = Console(file=stream, highlight=False)
        self._enabled = enabled
        self._live = enabled and self._console.is_terminal
        self._progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[note]}"),
            console=self._console,
            transient=False,
        )
        # One line per stage, in run order, shown once the stage starts.
        self._tasks = {
            stage: self._progress.add_task(label, start=False, visible=False, note="")
            for stage, label in STAGES.items()
        }
        self._running: set[str] = set()
        self._step_started: dict[str, float] = {}
        self._seconds: dict[str, float] = {}  # per stage: the time its steps ran
        self.check_steps = 1  # the job's number of check steps, set once the job is known
        self._checks_done = 0

    def __enter__(self) -> RunDisplay:
        if self._live:
            self._progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._live:
            self._progress.stop()

    def step_started(self, step_key: str) -> None:
        stage = stage_of(step_key)
        self._step_started[step_key] = time.monotonic()
        if stage in self._running:
            return
        self._running.add(stage)
        totals = {"ingest": len(SOURCES), "build": None, "check": self.check_steps, "publish": 1}
        self._progress.update(self._tasks[stage], total=totals[stage], visible=True)
        self._progress.start_task(self._tasks[stage])

    def step_finished(self, step_key: str, ok: bool) -> None:
        stage = stage_of(step_key)
        if stage not in self._running:
            return
        task = self._tasks[stage]
        started = self._step_started.pop(step_key, time.monotonic())
        self._seconds[stage] = self._seconds.get(stage, 0.0) + time.monotonic() - started
        if stage == "check":
            self._checks_done += 1
            self._progress.update(task, completed=self._checks_done)
            if ok and self._checks_done < self.check_steps:
                return
        else:
            total = self._progress.tasks[task].total
            self._progress.update(task, completed=total or 1, total=total or 1)
        note = "done" if ok else "FAILED"
        self._progress.update(task, note=note)
        if self._enabled and not self._live:
            self._console.print(f"{STAGES[stage]:<10} {note} ({self._seconds[stage]:.0f} s)")

    def ingest_message(self, text: str) -> None:
        """Ingest says ``<source>: ...`` as it works through the sources in order."""
        task = self._tasks["ingest"]
        source, _, rest = text.partition(": ")
        names = [s.name for s in SOURCES]
        if "ingest" not in self._running or source not in names:
            return
        self._progress.update(task, completed=names.index(source), note=f"{source}: {rest}"[:60])

    def dbt_line(self, line: str) -> None:
        task = self._tasks["build"]
        match = _DBT_RESULT.search(_ANSI.sub("", line))
        if "build" not in self._running or match is None:
            return
        done, total = int(match.group(1)), int(match.group(2))
        task_state = self._progress.tasks[task]
        self._progress.update(
            task, total=total, completed=max(done, int(task_state.completed)), note=""
        )


# The display of the run in progress, if a command-line run has one.
_display: RunDisplay | None = None


class _ProgressHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None)
        if _display is None or not meta or not meta.get("step_key"):
            return
        event = meta.get("dagster_event")
        step_key = meta["step_key"]
        if event is None:
            if stage_of(step_key) == "ingest":
                _display.ingest_message(str(meta.get("orig_message", "")))
        elif event.event_type_value == "STEP_START":
            _display.step_started(step_key)
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            _display.step_finished(step_key, event.event_type_value == "STEP_SUCCESS")


@logger(description="Stage progress of a run started by recall run, on its terminal.")
def progress_logger(_context: InitLoggerContext) -> logging.Logger:
    progress = logging.Logger("recall.progress", level=logging.DEBUG)
    progress.addHandler(_ProgressHandler())
    return progress


class _LogWriter(io.TextIOBase):
    """Writes to the log file, and to the terminal when streaming; hands dbt's lines to the
    display."""

    def __init__(self, log: TextIO, echo: TextIO | None, display: RunDisplay) -> None:
        self._log, self._echo, self._display = log, echo, display
        self._partial = ""

    @property
    def encoding(self) -> str:
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        self._log.write(text)
        if self._echo is not None:
            self._echo.write(text)
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            self._display.dbt_line(line)
        return len(text)

    def flush(self) -> None:
        self._log.flush()
        if self._echo is not None:
            self._echo.flush()


@contextmanager
def run_output(log_path: Path, *, verbose: bool) -> Iterator[RunDisplay]:
    """Send this process's output to ``log_path`` (and the terminal when ``verbose``) and show
    stage progress on the terminal, for the length of the block."""
    global _display
    log_path.parent.mkdir(parents=True, exist_ok=True)
    terminal_out, terminal_err = sys.stdout, sys.stderr
    with (
        log_path.open("a", encoding="utf-8") as log,
        RunDisplay(terminal_err, enabled=not verbose) as display,
    ):
        sys.stdout = _LogWriter(log, terminal_out if verbose else None, display)
        sys.stderr = _LogWriter(log, terminal_err if verbose else None, display)
        # Library warnings logged through the root logger go to the log as well.
        root = logging.getLogger()
        terminal_handlers = [h for h in root.handlers if isinstance(h, logging.StreamHandler)]
        for handler in terminal_handlers:
            root.removeHandler(handler)
        file_handler = logging.StreamHandler(sys.stderr)
        file_handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
        )
        root.addHandler(file_handler)
        _display = display
        try:
            yield display
        finally:
            _display = None
            root.removeHandler(file_handler)
            for handler in terminal_handlers:
                root.addHandler(handler)
            sys.stdout, sys.stderr = terminal_out, terminal_err
