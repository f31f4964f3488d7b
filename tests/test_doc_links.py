"""The first prose mention of an API the index lists links to its documentation; code, headings,
admonition titles, prediction forms and existing links are left alone. Strings in, strings out."""

from snippet_outputs import ROOT

from compression_answers import api_index, doc_links

LINKS = {"prune.l1_unstructured": "https://l1", "quantize_dynamic": "https://qd"}


def test_the_first_prose_mention_of_a_name_links_its_documentation():
    page = "Call `prune.l1_unstructured` here, and `prune.l1_unstructured` again.\n"
    assert doc_links.linked(page, LINKS) == (
        "Call [`prune.l1_unstructured`](https://l1) here, and `prune.l1_unstructured` again.\n"
    )
    assert doc_links.linked("Then `quantize_dynamic()`.", LINKS) == (
        "Then [`quantize_dynamic()`](https://qd)."
    )


def test_code_headings_titles_forms_html_and_links_are_left_alone():
    untouched = "\n".join(
        [
            "# Does `quantize_dynamic` help?",
            '!!! verdict "`quantize_dynamic`"',
            "```python",
            "x = `quantize_dynamic`",
            "```",
            "<quiz answer>",
            "What does `quantize_dynamic` do?",
            "- [ ] `prune.l1_unstructured`",
            "</quiz>",
            "<p>`quantize_dynamic`</p>",
            "| `quantize_dynamic` | a table cell |",
            "See [`quantize_dynamic`](https://elsewhere).",
            "An unknown `name` stays as it is.",
        ]
    )
    assert doc_links.linked(untouched, LINKS) == untouched
    after = doc_links.linked(untouched + "\nNow `quantize_dynamic`.", LINKS)
    assert after.endswith("Now [`quantize_dynamic`](https://qd).")


def test_the_links_cover_the_pruning_functions_and_the_snippets_torchao_names():
    links = api_index.doc_links(ROOT)
    l1 = "https://docs.pytorch.org/docs/stable/generated/torch.nn.utils.prune.l1_unstructured.html"
    assert links["prune.l1_unstructured"] == links["l1_unstructured"] == l1
    assert "remove" not in links and links["prune.remove"].endswith("prune.remove.html")
    assert links["QATConfig"].endswith("torchao.quantization.qat.QATConfig.html")
    assert links["torch.compile"].endswith("torch.compile.html")
    assert links["kl_div"] == links["torch.nn.functional.kl_div"]
    assert "compile" not in links and "save" not in links, "too common to link bare"
