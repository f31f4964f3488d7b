"""A build's snippets run as shards on several machines, and their caches merged for one build.

    python -m compression_answers.shards run 2/3 --cache shard-2    # this machine's share
    python -m compression_answers.shards merge shard-* --into .cache/executed-snippets
    SNIPPET_EXECUTE=off mkdocs build --strict                       # executes nothing

A snippet's shard is decided by its path alone (a hash, so the split stays put as snippets are
added), and a shard runs every block that includes one of its snippets, with the build's own
runner and time limit. Its entries are keyed portably (cache.environment): the shards and the
final build run on machines of one kind, with one Python and one set of libraries. A merge
accepts an entry only if the key it is filed under is the one this checkout and environment give
its snippet and options, every file the run read is as it was, and no other shard filed another
output under the same key; anything else is refused, named. The final build then takes every
output from the cache, and fails naming each snippet no shard ran (runs.NotRun).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

from compression_answers import cache, page_rules, settings
from compression_answers.runner import SnippetFailed, snippet_file
from compression_answers.runs import CACHE_DIR, Runs


class BadShard(ValueError):
    """A shard written other than as i/n, with 1 <= i <= n."""


def parse(text: str) -> tuple[int, int]:
    """`2/3` -> (2, 3); raises BadShard."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise BadShard(f"shard {text!r}: write it as i/n, like 2/3") from None
    if not 1 <= index <= count:
        raise BadShard(f"shard {text!r}: i must be from 1 to n")
    return index, count


def shard_of(path: str, count: int) -> int:
    """The shard (1 to `count`) that runs the snippet at `path`, by its path alone."""
    return int(hashlib.sha256(path.encode()).hexdigest(), 16) % count + 1


def includes(project: Path, docs: str = "docs") -> list[page_rules.Include]:
    """Every executed block of the site's pages whose snippet exists (one that is missing is
    the build's to report, with its page and line)."""
    found = []
    for page in sorted((project / docs).rglob("*.md")):
        for include in page_rules.executed_includes(page.read_text(encoding="utf-8"), project):
            if (project / include.path).is_file():
                found.append(include)
    return found


def run(project: Path, index: int, count: int, cache_dir: Path) -> list[str]:
    """Run shard `index` of `count` into `cache_dir`; the problems, each naming its snippet."""
    chosen = [i for i in includes(project) if shard_of(i.path, count) == index]
    read = settings.read()
    if not (read.cache and read.execute):
        raise settings.BadSetting(
            "a shard runs its snippets into its cache: SNIPPET_CACHE and SNIPPET_EXECUTE must be on"
        )
    runs = Runs(
        project,
        settings=read,
        cache_dir=cache_dir,
        progress=print,
        portable=True,
    )
    problems = []
    try:
        futures = [(i, runs.start(i.path, i.returncode, i.width)) for i in chosen]
        for include, future in futures:
            try:
                ran = future.result()
            except SnippetFailed as failed:
                problems.append(f"{include.path}: {failed}")
                continue
            if not ran.complete:  # the runs keep no output whose reads are not all known
                problems.append(f"{include.path}: what it read is not all known, so not kept")
    finally:
        runs.shutdown()
    print(f"shard {index}/{count}: {len(chosen)} blocks, {len(runs.executed)} run", flush=True)
    return problems


def expected_key(project: Path, entry: dict, environment: dict[str, str]) -> str:
    """The key this checkout and environment give the entry's snippet with its options."""
    options = entry["options"]
    code = snippet_file(project, options["path"]).read_text(encoding="utf-8")
    return cache.key(code, options, environment)


def merge(sources: list[Path], into: Path, project: Path) -> list[str]:
    """Copy the shards' entries in `sources` into the cache at `into`, each checked as the module
    says; the problems, each naming the entry and its snippet. Nothing is copied if any."""
    environment = cache.environment(portable=True)
    accepted: dict[str, tuple[Path, str]] = {}  # key -> (entry file, its text)
    problems = []
    for source in sources:
        if not source.is_dir():
            problems.append(f"{source}: no such shard cache")
            continue
        for entry_file in sorted(source.glob("*.json")):
            text = entry_file.read_text(encoding="utf-8")
            try:
                entry = json.loads(text)
                snippet = entry["snippet"]
                wanted = expected_key(project, entry, environment)
                read = dict(entry["read"])
                str(entry["output"])
            except (OSError, ValueError, KeyError, TypeError, SnippetFailed) as error:
                problems.append(f"{entry_file}: not an entry of this project's snippets ({error})")
                continue
            if entry_file.stem != wanted:
                problems.append(
                    f"{entry_file}: {snippet}: filed under a key other than this checkout and "
                    "environment give it (other code, options, libraries or Python)"
                )
            elif not cache.reads_unchanged(project, read):
                problems.append(f"{entry_file}: {snippet}: a file it read has changed since")
            elif wanted in accepted and accepted[wanted][1] != text:
                problems.append(
                    f"{entry_file}: {snippet}: {accepted[wanted][0]} holds another output "
                    "under the same key"
                )
            else:
                accepted[wanted] = (entry_file, text)
    if problems:
        return problems
    into.mkdir(parents=True, exist_ok=True)
    for entry_file, _ in accepted.values():
        shutil.copyfile(entry_file, into / f".{entry_file.name}.tmp")
        (into / f".{entry_file.name}.tmp").replace(into / entry_file.name)
    print(f"merged {len(accepted)} entries from {len(sources)} shards into {into}", flush=True)
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m compression_answers.shards")
    commands = parser.add_subparsers(dest="command", required=True)
    running = commands.add_parser("run", help="run this machine's share of the snippets")
    running.add_argument("shard", help="i/n: shard i of n")
    running.add_argument("--cache", type=Path, required=True, help="the folder its entries go in")
    merging = commands.add_parser("merge", help="merge shards' caches into the build's")
    merging.add_argument("sources", type=Path, nargs="+")
    merging.add_argument("--into", type=Path, default=CACHE_DIR)
    arguments = parser.parse_args(argv)
    project = Path.cwd()
    try:
        if arguments.command == "run":
            index, count = parse(arguments.shard)
            problems = run(project, index, count, arguments.cache.resolve())
        else:
            problems = merge(arguments.sources, arguments.into, project)
    except (BadShard, settings.BadSetting) as error:
        print(error, file=sys.stderr)
        return 2
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
