"""Outputs recorded under torch versions other than the pinned one: where they live, which
versions wrote them, how they differ from the pinned recording, and the markdown that shows it.

Layout, all written by the update command (`pytest --update-recorded`), never by hand:

- `tests/recorded/<slug>/<name>.txt`: what a snippet prints under the pinned torch;
  `tests/recorded/environment.json`: the versions that wrote those;
- `tests/recorded/versions/<torch>/<slug>/<name>.txt`: what it prints under another torch, kept
  only where that differs; `tests/recorded/versions/<torch>/environment.json`: that run's
  versions and date.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import os
import posixpath
import re
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from compression_answers import pages

RECORDED = Path("tests/recorded")
OTHER_VERSIONS = RECORDED / "versions"
ENVIRONMENT_FILE = "environment.json"
PAGE = "torch-versions.md"
PAGE_TITLE = "What changes between torch versions"
# What a snippet that raised under another torch records: its failure is the finding.
RAISED = "raised under this torch:\n"


def _installed(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def _torch_build() -> str:
    """`cpu`, `cu130`, …: a wheel's local version, or what the build reports when it has none
    (PyPI's). Read from torch's own `version.py`, without importing torch, which would cost every
    process that asks (each test worker, each build) a second and a half."""
    found = importlib.util.find_spec("torch")
    if found is None or not found.submodule_search_locations:
        return "none"
    path = Path(found.submodule_search_locations[0]) / "version.py"
    spec = importlib.util.spec_from_file_location("torch_version_file", path)
    if spec is None or spec.loader is None:
        return "none"
    built = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(built)
    local = built.__version__.partition("+")[2]
    if local:
        return local
    return f"cu{built.cuda.replace('.', '')}" if built.cuda else "cpu"


def environment() -> dict[str, str]:
    """The versions an output depends on, as recorded: no Python patch, torch's build kept apart."""
    return {
        "torch": _installed("torch").partition("+")[0],
        "torch build": _torch_build(),
        "torchao": _installed("torchao"),
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
    }


def describe(env: dict[str, str]) -> str:
    """`torch 2.14.1 (+cu130), torchao 0.18.0, Python 3.11`."""
    build = env.get("torch build", "none")
    torch = f"torch {env['torch']}" + ("" if build == "none" else f" (+{build})")
    return f"{torch}, torchao {env['torchao']}, Python {env['python']}"


def pinned_torch(project: Path) -> str:
    """The torch release pyproject.toml pins: the one the main recordings are for."""
    found = re.search(r'"torch==([^"]+)"', (project / "pyproject.toml").read_text(encoding="utf-8"))
    if found is None:
        raise ValueError(f'{project / "pyproject.toml"} pins no torch ("torch==<version>")')
    return found[1]


def recording_dir(project: Path, torch: str) -> Path:
    """Where the recordings for this torch live: the main ones for the pinned torch."""
    return (
        project / RECORDED if torch == pinned_torch(project) else project / OTHER_VERSIONS / torch
    )


def read_environment(directory: Path) -> dict[str, str] | None:
    path = directory / ENVIRONMENT_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def write_environment(directory: Path, env: dict[str, str]) -> None:
    """Atomic, so that two test workers writing the same content never leave half a file."""
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".{ENVIRONMENT_FILE}.{os.getpid()}.tmp"  # one per test worker
    temporary.write_text(json.dumps(env, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(directory / ENVIRONMENT_FILE)


def diff(old: str, new: str, old_label: str = "recorded", new_label: str = "now") -> str:
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), old_label, new_label, lineterm=""
    )
    return "\n".join(lines)


@dataclass(frozen=True)
class Difference:
    """One snippet whose output under another torch differs from its pinned recording."""

    snippet: str  # snippets/<slug>/<name>.py
    environment: dict[str, str]  # the other version's, with its "recorded" date
    pinned_environment: dict[str, str]
    pinned: str
    other: str

    @property
    def raised(self) -> bool:
        return self.other.startswith(RAISED)

    def diff(self) -> str:
        return diff(
            self.pinned,
            self.other,
            f"recorded with {describe(self.pinned_environment)}",
            f"recorded with {describe(self.environment)}",
        )

    @property
    def only_versions(self) -> bool:
        """The two outputs differ only where each prints its own versions (a snippet that
        reports its environment): nothing a reader learns from, so no page shows it."""
        return without_versions(self.pinned, self.pinned_environment) == without_versions(
            self.other, self.environment
        )

    def summary(self) -> str:
        """What changed, in a line: the exception raised, or how many lines differ."""
        if self.raised:
            last = self.other.strip().splitlines()[-1] if self.other.strip() else "?"
            return f"raises `{last.strip()}`"
        changed = sum(
            1
            for line in self.diff().splitlines()[2:]
            if line.startswith("+") and not line.startswith("+++")
        )
        return f"prints {changed} line{'s' if changed != 1 else ''} differently"


def without_versions(output: str, env: dict[str, str]) -> str:
    """The output with each version the environment names replaced by a placeholder."""
    for value in sorted(
        (env.get(key, "") for key in ("torch", "torchao", "python")), key=len, reverse=True
    ):
        if value and value != "?":
            output = re.sub(rf"(?<![\w.]){re.escape(value)}(?![\w.])", "<version>", output)
    return output


def shown(found: list[Difference]) -> list[Difference]:
    """The differences a reader is shown: all but those in version strings only."""
    return [d for d in found if not d.only_versions]


def differences(project: Path) -> list[Difference]:
    """Every recording under another torch, with the pinned recording it differs from; by snippet, then version."""
    pinned_environment = read_environment(project / RECORDED) or {
        "torch": pinned_torch(project),
        "torchao": "?",
        "python": "?",
    }
    found: list[Difference] = []
    if not (project / OTHER_VERSIONS).is_dir():
        return found
    for directory in sorted(
        (project / OTHER_VERSIONS).iterdir(), key=lambda d: _release_key(d.name)
    ):
        env = read_environment(directory)
        if env is None:
            raise ValueError(
                f"{directory.relative_to(project)} has no {ENVIRONMENT_FILE}: record it with the update command"
            )
        for recording in sorted(directory.glob("*/*.txt")):
            slug, name = recording.parent.name, recording.stem
            pinned = project / RECORDED / slug / f"{name}.txt"
            found.append(
                Difference(
                    f"snippets/{slug}/{name}.py",
                    env,
                    pinned_environment,
                    pinned.read_text(encoding="utf-8") if pinned.is_file() else "",
                    recording.read_text(encoding="utf-8"),
                )
            )
    return sorted(found, key=lambda d: (d.snippet, _release_key(d.environment["torch"])))


def _release_key(release: str) -> tuple:
    return tuple(int(part) if part.isdigit() else -1 for part in re.split(r"[.+]", release))


def _anchor(snippet: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", snippet.lower()).strip("-")


def _label(difference: Difference) -> str:
    return f"torch {difference.environment['torch']}, recorded {difference.environment['recorded']}"


def page_markdown(found: list[Difference], pages_of: dict[str, tuple[str, str]]) -> str:
    """The generated page, by question: each page whose snippets print something else under
    another recorded torch, each such snippet with what changed in a line, then the diff;
    `pages_of` gives each snippet's page, as its path from the docs folder and its title.
    Differences in version strings only are left out."""
    found = shown(found)
    versions = sorted(
        {
            (d.environment["torch"], describe(d.environment), d.environment["recorded"])
            for d in found
        },
        key=lambda version: _release_key(version[0]),
        reverse=True,
    )
    lines = [
        f"# {PAGE_TITLE}",
        "",
        "Every output on this site comes from the pinned torch. The update command also runs the snippets under",
        "other torch releases and keeps, for each, the outputs that differ. This page lists them by question,",
        "generated at build time from `tests/recorded/versions/`. A version that changes no output does not",
        "appear, nor does an output that differs only in the version numbers it prints.",
        "",
    ]
    if not versions:
        lines += ["No other torch version is recorded yet.", ""]
        return "\n".join(lines)
    lines += ["| torch | recorded with | recorded on | outputs that differ |", "|---|---|---|---|"]
    for torch, described, recorded in versions:
        count = sum(1 for d in found if d.environment["torch"] == torch)
        lines.append(f"| {torch} | {described} | {recorded} | {count} |")
    lines.append("")
    snippets = sorted({d.snippet for d in found})
    # Pages in the order of their paths; snippets no page shows come last.
    by_page: dict[tuple[str, str] | None, list[str]] = {}
    for snippet in sorted(
        snippets, key=lambda s: (s not in pages_of, pages_of.get(s, ("", ""))[0], s)
    ):
        by_page.setdefault(pages_of.get(snippet), []).append(snippet)
    for page, page_snippets in by_page.items():
        if page is None:
            lines += ["## Snippets no page shows", ""]
        else:
            path, title = page
            lines += [f"## [{title}]({path})", ""]
        for snippet in page_snippets:
            lines += [f"### `{snippet}` {{#{_anchor(snippet)}}}", ""]
            for difference in (d for d in found if d.snippet == snippet):
                lines += [
                    f"Under {_label(difference)}, it {difference.summary()}:",
                    "",
                    "```diff",
                    difference.diff(),
                    "```",
                    "",
                ]
    return "\n".join(lines)


def pages_of(project: Path) -> dict[str, tuple[str, str]]:
    """Each snippet's first page under docs/: its path from there, and its title."""
    docs = project / "docs"
    sources = (
        (path.relative_to(docs).as_posix(), path.read_text(encoding="utf-8"))
        for path in sorted(docs.rglob("*.md"))
    )
    return {snippet: found[0] for snippet, found in pages.snippet_pages(sources).items()}


def page_for(project: Path) -> str:
    """The versions page of this project, as the build generates it."""
    return page_markdown(differences(project), pages_of(project))


def note_markdown(
    differences_of_snippet: list[Difference], page_src_uri: str, indent: str = ""
) -> str:
    """What a question page shows under a snippet's output when another torch prints something else."""
    link = posixpath.relpath(PAGE, posixpath.dirname(page_src_uri) or ".")
    lines = []
    for difference in shown(differences_of_snippet):
        what = "raises" if difference.raised else "prints something else"
        # A warning's colour, not the code toggles' note: this is a finding about torch.
        lines += [
            f'??? warning "On torch {difference.environment["torch"]}, this {what} '
            f'(recorded {difference.environment["recorded"]})"',
            "    ```diff",
            *[f"    {line}" for line in difference.diff().splitlines()],
            "    ```",
            "",
            f"    Every difference between the recorded versions: "
            f"[{PAGE_TITLE}]({link}#{_anchor(difference.snippet)}).",
            "",
        ]
    return "\n".join(f"{indent}{line}" if line else "" for line in lines)


if __name__ == "__main__":
    # For a build without the MkDocs plugin (Zensical): write the page the plugin would generate.
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs") / PAGE
    target.write_text(page_for(Path.cwd()), encoding="utf-8")
    print(f"wrote {target}")
