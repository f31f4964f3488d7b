"""MkDocs hook: Jinja keeps the theme's compiled templates from one build to the next.

Each build makes a new Jinja environment, which compiles Material's templates again: about half
of a small build's time, and a third of a rebuild's under `mkdocs serve`. Jinja's own bytecode
cache keeps the compiled code in a folder of the user's temporary directory (its default), and a
template whose source changed is compiled again.
"""

from __future__ import annotations

import jinja2


def on_env(env, config, files):
    env.bytecode_cache = jinja2.FileSystemBytecodeCache()
    return env
