"""Environment variables set for a step's subprocesses (dbt reads its profile's paths and
the run's values from them)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Sets ``values`` in this process's environment and restores it afterwards, so anything
    else that runs dbt in this process builds the working file again, with its own settings."""
    given = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in given.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
