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


# The other torch entry points the pages measure with or compress by, by their qualified names
# (a snippet may reach one under any import alias: qualified_names), with their documentation.
OTHER_ENTRY_POINTS = {
    "torch.compile": f"{TORCH_DOCS}/torch.compile.html",
    "torch.export.export": "https://docs.pytorch.org/docs/stable/export.html#torch.export.export",
    "torch.save": f"{TORCH_DOCS}/torch.save.html",
    "torch.load": f"{TORCH_DOCS}/torch.load.html",
    "torch.export.save": "https://docs.pytorch.org/docs/stable/export.html#torch.export.save",
    "torch.export.load": "https://docs.pytorch.org/docs/stable/export.html#torch.export.load",
    # A method: found by its name wherever a snippet calls it (qualified_names).
    "torch.Tensor.to_sparse_csr": f"{TORCH_DOCS}/torch.Tensor.to_sparse_csr.html",
    "torch.linalg.svd": f"{TORCH_DOCS}/torch.linalg.svd.html",
    "torch.nn.functional.kl_div": f"{TORCH_DOCS}/torch.nn.functional.kl_div.html",
    "torch.profiler.profile": "https://docs.pytorch.org/docs/stable/profiler.html#torch.profiler.profile",
    "torchao.quantization.pt2e.MinMaxObserver": (
        "https://docs.pytorch.org/ao/stable/pt2e_quantization/index.html"
    ),
    "torchao.quantization.pt2e.move_exported_model_to_eval": (
        "https://docs.pytorch.org/ao/stable/pt2e_quantization/index.html"
    ),
    "torch.utils.benchmark.Timer": (
        "https://docs.pytorch.org/docs/stable/benchmark_utils.html#torch.utils.benchmark.Timer"
    ),
}
OTHER = "other entry points"
TENSOR_METHODS = {
    name.removeprefix("torch.Tensor.")
    for name in OTHER_ENTRY_POINTS
    if name.startswith("torch.Tensor.")
}
# torchao modules whose classes have a generated page in torchao's API reference.
TORCHAO_REFERENCE = ("torchao.quantization", "torchao.quantization.qat")


def docs_url(group: str, name: str, module: str = "") -> str | None:
    """The official documentation of a name the index lists: torch's generated page of a pruning
    function, the page DOCS names, or torchao's generated page of a class from `module`."""
    if group == "torch.nn.utils.prune":
        return f"{TORCH_DOCS}/torch.nn.utils.prune.{name}.html"
    if name in DOCS:
        return DOCS[name]
    if group == OTHER:
        return OTHER_ENTRY_POINTS.get(name)
    if module in TORCHAO_REFERENCE:
        return f"{TORCHAO_DOCS}/{module}.{name}.html"
    return None


def qualified_names(source: str) -> set[str]:
    """Every dotted name a snippet reaches, with its import aliases resolved: `F.kl_div` after
    `import torch.nn.functional as F` is `torch.nn.functional.kl_div`. A call of a tensor method
    the index lists (`weight.to_sparse_csr()`) is `torch.Tensor.to_sparse_csr`: a tensor's type
    is not in the source, and the method's name is distinctive."""
    tree = _tree(source)
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    aliases[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    found = set(aliases.values())
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            parts = []
            inner: ast.expr = node
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id in aliases:
                found.add(".".join([aliases[inner.id], *reversed(parts)]))
            if node.attr in TENSOR_METHODS:
                found.add(f"torch.Tensor.{node.attr}")
    return found


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


# Under `mkdocs serve`, an unchanged snippet is parsed once. Unbounded: a bound below the number
# of snippets would evict each tree before the next pass over them reads it (every pass a miss).
@functools.cache
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
    return dict(_torchao_imports(source))


@functools.cache  # a build asks for each snippet's three times (the index, its page, the links)
def _torchao_imports(source: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        (alias.name, node.module or "")
        for node in ast.walk(_tree(source))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("torchao")
        for alias in node.names
    )


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
    reached = {path: _reached(source) for path, source in sources.items()}
    found: dict[str, dict[str, list[str]]] = {"torch.nn.utils.prune": {}, "quantization": {}}
    for name in prune_names:
        found["torch.nn.utils.prune"][name] = [
            path for path, (pruned, _, _) in reached.items() if name in pruned
        ]
    for name in [*QUANTIZATION_ENTRY_POINTS, *configs]:
        found["quantization"][name] = [
            path for path, (_, used, _) in reached.items() if name in used
        ]
    found[OTHER] = {
        name: [path for path, (_, _, qualified) in reached.items() if name in qualified]
        for name in OTHER_ENTRY_POINTS
    }
    return found


# Under `mkdocs serve`, an unchanged snippet's names are found once, not at every rebuild.
@functools.cache
def _reached(source: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """What a snippet reaches through torch.nn.utils.prune, every name it uses, and every dotted
    name it reaches."""
    return (
        frozenset(prune_calls(source)),
        frozenset(names_used(source)),
        frozenset(qualified_names(source)),
    )


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
        "Every public function of `torch.nn.utils.prune`, and every quantization and other entry point the",
        "pages discuss, linked to its official documentation, with the snippets that call it and",
        "the pages that run them. Generated from the snippets when the site is built.",
    ]
    for group, names in found.items():
        lines += [
            "",
            {"quantization": "## Quantization entry points", OTHER: "## Other entry points"}.get(
                group, f"## `{group}`"
            ),
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


def doc_links(project: Path, prune_names: list[str] | None = None) -> dict[str, str]:
    """The names a page's prose may write in inline code, with their documentation's URL: every
    pruning function (bare only where the name is distinctive, as `l1_unstructured`), the
    quantization entry points, the torchao names the snippets import, and the other entry
    points, by their qualified names (and bare where the name is distinctive, as `kl_div`)."""
    links: dict[str, str] = {}
    for name in prune_functions() if prune_names is None else prune_names:
        url = docs_url("torch.nn.utils.prune", name)
        assert url is not None
        for written in (f"prune.{name}", f"torch.nn.utils.prune.{name}"):
            links[written] = url
        if "_" in name and name != "is_pruned":
            links[name] = url
    links.update(DOCS)
    for name, module in torchao_modules(project).items():
        url = docs_url("quantization", name, module)
        if url is not None:
            links[name] = url
    for name, url in OTHER_ENTRY_POINTS.items():
        links[name] = url
        bare = name.rsplit(".", 1)[1]
        if "_" in bare or bare != bare.lower():  # distinctive: not `save`, `load` or `compile`
            links.setdefault(bare, url)
    return links
