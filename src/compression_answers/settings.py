"""The build's settings, read from the environment and checked once, with a message naming the variable.

SNIPPET_CACHE=off     run every snippet, read and write no cache (the deploy does this)
SNIPPET_TIMEOUT=120   seconds a snippet may run before it is stopped and the build fails
SNIPPET_JOBS=<cores>  snippets run at the same time (each with one torch thread when above 1)
SNIPPET_EXECUTE=on    off: run nothing, take every output from the cache (merged from shards,
                      shards.py); a snippet without an entry fails the build, named

The MkDocs plugin's options (`cache`, `timeout`, `jobs` in mkdocs.yml) give the defaults; a
variable that is set overrides its option, so CI and a reader's shell need no edit of the config.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_TIMEOUT_SECONDS = 120
OUTPUT_LIMIT_BYTES = 1_000_000  # a snippet that prints more is a mistake, not a page
ON, OFF = {"on", "1", "true", "yes"}, {"off", "0", "false", "no"}


class BadSetting(ValueError):
    """An environment variable the build reads has a value it cannot use."""


@dataclass(frozen=True)
class Settings:
    cache: bool
    timeout: float
    jobs: int
    execute: bool = True


def read(environ: Mapping[str, str] | None = None, defaults: Settings | None = None) -> Settings:
    """The settings in `environ` (the process's environment by default), each variable that is
    not set taken from `defaults` (the plugin's options); raises BadSetting."""
    environ = os.environ if environ is None else environ
    if defaults is None:
        defaults = Settings(cache=True, timeout=DEFAULT_TIMEOUT_SECONDS, jobs=os.cpu_count() or 1)
    cache = environ.get("SNIPPET_CACHE", "on" if defaults.cache else "off").strip().lower()
    if cache not in ON | OFF:
        raise BadSetting(f"SNIPPET_CACHE={environ['SNIPPET_CACHE']!r}: use on or off")
    raw_timeout = environ.get("SNIPPET_TIMEOUT", str(defaults.timeout))
    try:
        timeout = float(raw_timeout)
    except ValueError:
        raise BadSetting(
            f"SNIPPET_TIMEOUT={raw_timeout!r}: use a number of seconds, like 120"
        ) from None
    if not 0 < timeout < float("inf"):
        raise BadSetting(
            f"SNIPPET_TIMEOUT={raw_timeout!r}: use a positive number of seconds, like 120"
        )
    raw_jobs = environ.get("SNIPPET_JOBS", str(defaults.jobs))
    try:
        jobs = int(raw_jobs)
    except ValueError:
        raise BadSetting(
            f"SNIPPET_JOBS={raw_jobs!r}: use a whole number of snippets to run at once, like 2"
        ) from None
    if jobs < 1:
        raise BadSetting(f"SNIPPET_JOBS={raw_jobs!r}: use at least 1")
    execute = environ.get("SNIPPET_EXECUTE", "on").strip().lower()
    if execute not in ON | OFF:
        raise BadSetting(f"SNIPPET_EXECUTE={environ['SNIPPET_EXECUTE']!r}: use on or off")
    if execute in OFF and cache in OFF:
        raise BadSetting(
            "SNIPPET_EXECUTE=off with SNIPPET_CACHE=off: every output comes from the cache, so "
            "the cache must be on"
        )
    return Settings(cache=cache in ON, timeout=timeout, jobs=jobs, execute=execute in ON)
