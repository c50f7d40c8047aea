"""``recall ui``: the Dagster webserver and daemon on the home's instance, as one command.

Both load the same ``orchestration.definitions`` as ``recall run`` and share the instance
under ``$RECALL_HOME/dagster`` (runs, schedules, backfills). Their own logs go to
``$RECALL_HOME/logs/ui-<start>.log``. Ctrl-C (or SIGTERM) stops both.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from orchestration.settings import PROJECT_DIR, Settings
from orchestration.transform.project import prepare_manifest

_BIN = Path(sys.executable).parent
_DEFINITIONS = ["-m", "orchestration.definitions"]
_STARTUP_SECONDS = 120


def serve(settings: Settings, host: str, port: int, say: Callable[[str], None]) -> None:
    """Run the webserver and the daemon until interrupted; raises RuntimeError when either
    cannot start or stops by itself."""
    prepare_manifest()
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.logs_dir / f"ui-{datetime.now(UTC):%Y-%m-%dT%H%M%S}.log"
    url = f"http://{host}:{port}"
    _create_storage()
    _stop_on_signals()
    with log_path.open("a", encoding="utf-8") as log:
        processes: dict[str, subprocess.Popen] = {}
        try:
            processes["webserver"] = _start(["dagster-webserver", "-h", host, "-p", str(port)], log)
            processes["daemon"] = _start(["dagster-daemon", "run"], log)
            _wait_until_up(url, processes, log_path)
            say(f"Dagster UI: {url}  (Ctrl-C stops it; its log: {log_path})")
            while True:
                for name, process in processes.items():
                    if process.poll() is not None:
                        raise RuntimeError(
                            f"The Dagster {name} stopped (exit {process.returncode}); see "
                            f"{log_path}."
                        )
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            _stop_all(processes.values())
    say("Dagster UI stopped.")


def _create_storage() -> None:
    """Create the instance's databases (runs, event log index, schedules) before the webserver
    and the daemon start: on a new home both would create the same SQLite files at once, and
    the one that loses finds two schema versions (alembic: "more than one head") and cannot
    load the definitions."""
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        instance.get_runs(limit=1)
        instance.event_log_storage.get_asset_records()
        instance.schedule_storage.all_instigator_state()


def _start(command: list[str], log) -> subprocess.Popen:
    return subprocess.Popen(
        [str(_BIN / command[0]), *command[1:], *_DEFINITIONS],
        cwd=PROJECT_DIR,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a Ctrl-C reaches this command, which stops them in order
    )


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM (a service manager stopping the command) both stop the UI, at any
    point, also during startup. Installed explicitly: a shell that starts a command in the
    background (``recall ui &``, cron, ``nohup``) hands it SIGINT ignored, and Python then
    never turns Ctrl-C into KeyboardInterrupt."""

    def interrupt(_signum, _frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def _wait_until_up(url: str, processes: dict[str, subprocess.Popen], log_path: Path) -> None:
    deadline = time.monotonic() + _STARTUP_SECONDS
    while time.monotonic() < deadline:
        if processes["webserver"].poll() is not None:
            raise RuntimeError(
                f"The Dagster webserver did not start (exit {processes['webserver'].returncode}); "
                f"see {log_path}. Is the port taken? Choose another with --port."
            )
        try:
            if _definitions_loaded(url):
                return
        except (urllib.error.URLError, OSError, ValueError, KeyError, TypeError):
            pass  # not answering yet, or answering before its GraphQL schema is up
        time.sleep(0.5)
    raise RuntimeError(
        f"The Dagster webserver did not load the warehouse at {url} in time; see {log_path}."
    )


_LOCATIONS_QUERY = """
{ workspaceOrError { ... on Workspace { locationEntries {
    loadStatus
    locationOrLoadError { __typename ... on PythonError { message } }
} } } }
"""


def _definitions_loaded(url: str) -> bool:
    """Whether the webserver answers and has loaded the warehouse's definitions, so the page
    the URL opens shows them; raises RuntimeError when they failed to load."""
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": _LOCATIONS_QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        entries = json.load(response)["data"]["workspaceOrError"].get("locationEntries") or []
    for entry in entries:
        error = entry.get("locationOrLoadError") or {}
        if error.get("__typename") == "PythonError":
            raise RuntimeError(f"The warehouse definitions did not load: {error['message']}")
    return bool(entries) and all(entry["loadStatus"] == "LOADED" for entry in entries)


def _stop_all(processes) -> None:
    """Ask each process to stop, give each 20 s, then kill it; a second Ctrl-C kills at once."""
    processes = [process for process in processes if process.poll() is None]
    for process in processes:
        process.terminate()
    try:
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    except KeyboardInterrupt:
        for process in processes:
            process.kill()
    for process in processes:
        process.wait()
