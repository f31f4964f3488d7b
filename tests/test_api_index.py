"""Every public function of torch.nn.utils.prune, and every other name the API index lists, is
called by a snippet, found by parsing the snippets, with the list of pruning functions read from
the module's source (the same as the imported module's); each name links its documentation."""

import inspect

from snippet_outputs import ROOT

from compression_answers import api_index


def test_every_name_the_index_lists_is_called_by_a_snippet():
    found = api_index.index(ROOT)
    assert len(found["torch.nn.utils.prune"]) == len(api_index.prune_functions()) >= 9
    assert api_index.uncalled(found) == []


def test_the_functions_read_from_the_source_are_those_the_module_defines():
    import torch.nn.utils.prune as module

    defined = [
        name
        for name, value in vars(module).items()
        if inspect.isfunction(value)
        and value.__module__ == module.__name__
        and not name.startswith("_")
    ]
    assert api_index.prune_functions() == defined


def test_a_function_torch_adds_is_noticed():
    added = api_index.prune_source() + "\n\ndef planted(module, name):\n    return module\n"
    functions = api_index.prune_functions(added)
    assert functions[-1] == "planted"
    found = api_index.index(ROOT, functions)
    assert api_index.uncalled(found) == ["torch.nn.utils.prune.planted"]
    assert "_private" not in api_index.prune_functions(added + "\n\ndef _private():\n    pass\n")


def test_calls_are_found_under_any_alias_and_only_through_prune():
    source = (
        "import torch.nn.utils.prune as p\nfrom torch.nn.utils import prune as q\n"
        "from torch.nn.utils.prune import identity\nimport torch\n"
        "p.l1_unstructured(x)\nq.remove(x)\ntorch.nn.utils.prune.is_pruned(x)\n[].remove(1)\nos.remove('f')\n"
    )
    assert api_index.prune_calls(source) == {"l1_unstructured", "remove", "is_pruned", "identity"}
    assert api_index.prune_calls("import os\nos.remove('f')\n") == set()


def test_the_index_page_links_each_snippet_to_its_pages():
    found = {
        "torch.nn.utils.prune": {"identity": ["snippets/a/b.py"], "remove": []},
        "quantization": {},
    }
    page = api_index.markdown(found, {"snippets/a/b.py": [("pruning/a.md", "A page")]})
    identity = "https://docs.pytorch.org/docs/stable/generated/torch.nn.utils.prune.identity.html"
    assert f"| [`identity`]({identity}) | `snippets/a/b.py` ([A page](pruning/a.md)) |" in page
    assert "| **no snippet** |" in page.split("`remove`")[1].splitlines()[0]


def test_each_name_links_its_official_documentation():
    found = {
        "torch.nn.utils.prune": {},
        "quantization": {"quantize_dynamic": [], "QATConfig": [], "Planted": []},
    }
    page = api_index.markdown(found, {}, {"QATConfig": "torchao.quantization.qat"})
    assert (
        "[`quantize_dynamic`](https://docs.pytorch.org/docs/stable/generated/"
        "torch.ao.quantization.quantize_dynamic.html)" in page
    )
    assert (
        "[`QATConfig`](https://docs.pytorch.org/ao/stable/api_reference/generated/"
        "torchao.quantization.qat.QATConfig.html)" in page
    )
    assert "| `Planted` |" in page, "a name with no known page is shown without a link"


def test_the_module_of_each_torchao_name_is_read_from_the_snippets():
    modules = api_index.torchao_modules(ROOT)
    assert modules["QATConfig"] == "torchao.quantization.qat"
    assert modules["quantize_"] == "torchao.quantization"


def test_other_entry_points_are_found_under_any_import_alias():
    source = (
        "import torch\nimport torch.nn.functional as F\nfrom torch import linalg\n"
        "from torch.utils import benchmark\nfrom torch.export import export\n"
        "torch.save(x, b)\nF.kl_div(a, b)\nlinalg.svd(w)\nbenchmark.Timer(stmt='x')\nexport(m, ())\n"
        "import re\nre.compile('x')\n"
    )
    found = api_index.qualified_names(source)
    for name in (
        "torch.save",
        "torch.nn.functional.kl_div",
        "torch.linalg.svd",
        "torch.utils.benchmark.Timer",
        "torch.export.export",
    ):
        assert name in found, name
    assert "torch.compile" not in found, "re.compile is not torch.compile"


def test_a_listed_tensor_method_is_found_by_its_name_on_any_tensor():
    found = api_index.qualified_names("import torch\ncsr = layer.weight.detach().to_sparse_csr()\n")
    assert "torch.Tensor.to_sparse_csr" in found
    assert "torch.Tensor.to_sparse_csr" not in api_index.qualified_names("w.to_sparse_coo()\n")
