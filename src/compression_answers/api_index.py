"""The API index: which snippets call each public pruning function and quantization entry point.

Found by parsing the snippets, never kept by hand. The pruning functions are taken from the
source of `torch.nn.utils.prune` itself, so a torch release that adds one shows up as uncalled.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
from pathlib import Path

# The quantization entry points the pages discuss; torchao's `quantize_` configurations are
# found in the snippets themselves (every name imported from torchao ending in "Config").
QUANTIZATION_ENTRY_POINTS = (
    "quantize_dynamic",
    "prepare_pt2e",
    "convert_pt2e",
    "quantize_",
    "QATConfig",
)


TORCH_DOCS = "https://docs.pytorch.org/docs/stable/generated"
TORCHAO_DOCS = "https://docs.pytorch.org/ao/stable/api_reference/generated"
# Each entry point's page in the official documentation; a torchao configuration's is found
# from the module the snippet imports it from (docs_url).
DOCS = {
    "quantize_dynamic": f"{TORCH_DOCS}/torch.ao.quantization.quantize_dynamic.html",
    # PT2E moved to torchao, whose guide documents the whole flow on one page.
    "prepare_pt2e": "https://docs.pytorch.org/ao/stable/pt2e_quantization/index.html",
    "convert_pt2e": "https://docs.pytorch.org/ao/stable/pt2e_quantization/index.html",
    "quantize_": f"{TORCHAO_DOCS}/torchao.quantization.quantize_.html",
}


def docs_url(group: str, name: str, module: str = "") -> str | None:
    """The official documentation of a name the index lists: torch's generated page of a pruning
    function, the page DOCS names, or torchao's generated page of a class from `module`."""
    if group == "torch.nn.utils.prune":
        return f"{TORCH_DOCS}/torch.nn.utils.prune.{name}.html"
    if name in DOCS:
        return DOCS[name]
    if module.startswith("torchao"):
        return f"{TORCHAO_DOCS}/{module}.{name}.html"
    return None


def prune_source() -> str:
    """torch.nn.utils.prune's source, found without importing torch, which would cost every build
    (and every test worker) a second of CPU for one list of names."""
    found = importlib.util.find_spec("torch")
    if found is None or not found.submodule_search_locations:
        raise ModuleNotFoundError("torch is not installed: the API index lists its functions")
    return (Path(found.submodule_search_locations[0]) / "nn" / "utils" / "prune.py").read_text(
        encoding="utf-8"
    )


def prune_functions(source: str | None = None) -> list[str]:
    """The public functions torch.nn.utils.prune defines (its own, not those it imports), in the
    module's order: read from its source, `source` or the installed torch's
    (tests/test_api_index.py checks that the imported module has the same)."""
    tree = ast.parse(prune_source() if source is None else source)
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and not node.name.startswith("_")
    ]


@functools.lru_cache(maxsize=1024)  # under `mkdocs serve`, an unchanged snippet is parsed once
def _tree(source: str) -> ast.Module:
    return ast.parse(source)


def names_used(source: str) -> set[str]:
    """Every attribute and name a snippet's code refers to, and every name it imports."""
    tree = _tree(source)
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            used.add(node.attr)
        elif isinstance(node, ast.Name):
            used.add(node.id)
        elif isinstance(node, ast.ImportFrom):
            used.update(alias.name for alias in node.names)
    return used


def torchao_imports(source: str) -> dict[str, str]:
    """Every name a snippet imports from torchao, with the module it imports it from."""
    return {
        alias.name: node.module or ""
        for node in ast.walk(_tree(source))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("torchao")
        for alias in node.names
    }


def torchao_modules(project: Path) -> dict[str, str]:
    """Every name the project's snippets import from torchao, with its module."""
    found: dict[str, str] = {}
    for path in sorted(project.glob("snippets/*/*.py")):
        found.update(torchao_imports(path.read_text(encoding="utf-8")))
    return found


def torchao_configs(source: str) -> set[str]:
    return {name for name in torchao_imports(source) if name.endswith("Config")}


def index(project: Path, prune_names: list[str] | None = None) -> dict[str, dict[str, list[str]]]:
    """{"torch.nn.utils.prune": {function: [snippet, ...]}, "quantization": {entry point: [snippet, ...]}}."""
    prune_names = prune_functions() if prune_names is None else prune_names
    sources = {
        p.relative_to(project).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(project.glob("snippets/*/*.py"))
    }
    configs = (
        sorted(set().union(*(torchao_configs(s) for s in sources.values()))) if sources else []
    )
    # Each snippet parsed once: what it reaches through torch.nn.utils.prune, and every name it uses.
    reached = {path: (prune_calls(source), names_used(source)) for path, source in sources.items()}
    found: dict[str, dict[str, list[str]]] = {"torch.nn.utils.prune": {}, "quantization": {}}
    for name in prune_names:
        found["torch.nn.utils.prune"][name] = [
            path for path, (pruned, _) in reached.items() if name in pruned
        ]
    for name in [*QUANTIZATION_ENTRY_POINTS, *configs]:
        found["quantization"][name] = [path for path, (_, used) in reached.items() if name in used]
    return found


def prune_calls(source: str) -> set[str]:
    """The names a snippet reaches through torch.nn.utils.prune, under whatever alias it imports."""
    tree = _tree(source)
    aliases: set[str] = set()
    called: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases.update(
                a.asname for a in node.names if a.name == "torch.nn.utils.prune" and a.asname
            )
        elif isinstance(node, ast.ImportFrom) and node.module == "torch.nn.utils":
            aliases.update(a.asname or a.name for a in node.names if a.name == "prune")
        elif isinstance(node, ast.ImportFrom) and node.module == "torch.nn.utils.prune":
            called.update(a.name for a in node.names)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and (
            (isinstance(node.value, ast.Name) and node.value.id in aliases)
            or ast.unparse(node.value) == "torch.nn.utils.prune"
        ):
            called.add(node.attr)
    return called


def uncalled(found: dict[str, dict[str, list[str]]]) -> list[str]:
    return [
        f"{group}.{name}"
        for group, names in found.items()
        for name, snippets in names.items()
        if not snippets
    ]


def markdown(
    found: dict[str, dict[str, list[str]]],
    pages_of: dict[str, list[tuple[str, str]]],
    modules: dict[str, str] | None = None,
) -> str:
    """The index page: each name, linked to its official documentation, with the snippets that
    call it and the pages that show them. `modules` names the module a torchao name is imported
    from (torchao_imports)."""
    modules = modules or {}
    lines = [
        "# API index",
        "",
        "Every public function of `torch.nn.utils.prune`, and every quantization entry point the",
        "pages discuss, linked to its official documentation, with the snippets that call it and",
        "the pages that run them. Generated from the snippets when the site is built.",
    ]
    for group, names in found.items():
        lines += [
            "",
            f"## `{group}`" if group != "quantization" else "## Quantization entry points",
            "",
        ]
        lines += ["| Name | Called by |", "| --- | --- |"]
        for name, snippets in names.items():
            cells = []
            for snippet in snippets:
                links = ", ".join(f"[{title}]({uri})" for uri, title in pages_of.get(snippet, []))
                cells.append(f"`{snippet}`" + (f" ({links})" if links else ""))
            url = docs_url(group, name, modules.get(name, ""))
            shown = f"[`{name}`]({url})" if url else f"`{name}`"
            lines.append(f"| {shown} | {'<br>'.join(cells) or '**no snippet**'} |")
    return "\n".join(lines) + "\n"
