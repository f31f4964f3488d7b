"""Where a long name in a heading or a table cell may break (compression_answers.line_breaks),
in-process: a page's HTML in, the same HTML with a place to break between a name's words out."""

from compression_answers.line_breaks import names_breakable


def test_a_name_breaks_between_its_words_in_a_table_cell_and_a_heading():
    cell = "<td><code>torchao.quantization.pt2e.move_exported_model_to_eval</code></td>"
    assert names_breakable(cell) == (
        "<td><code>torchao.<wbr>quantization.<wbr>pt2e.<wbr>move_<wbr>exported_<wbr>model_<wbr>"
        "to_<wbr>eval</code></td>"
    )
    heading = '<h3 id="x"><code>snippets/granularity/torchao_granularity.py</code></h3>'
    assert names_breakable(heading) == (
        '<h3 id="x"><code>snippets/<wbr>granularity/<wbr>torchao_<wbr>granularity.<wbr>py'
        "</code></h3>"
    )


def test_camelcase_words_and_acronyms_are_words_and_numbers_stay_whole():
    assert names_breakable("<th><code>Int8DynamicActivationInt8WeightConfig</code></th>") == (
        "<th><code>Int8<wbr>Dynamic<wbr>Activation<wbr>Int8<wbr>Weight<wbr>Config</code></th>"
    )
    assert names_breakable("<td><code>QATConfig</code></td>") == (
        "<td><code>QAT<wbr>Config</code></td>"
    )
    for whole in ("93.89%", "SQNR", "l1", "fp32", "1e-3", "~0.123 ms"):
        assert names_breakable(f"<td><code>{whole}</code></td>") == f"<td><code>{whole}</code></td>"


def test_only_code_in_headings_and_cells_changes_and_markup_stays_whole():
    untouched = (
        "<p><code>torch.nn.utils.prune</code></p>"
        "<pre><code>torch.nn.utils.prune</code></pre>"
        "<td>torch.nn.utils.prune, in prose</td>"
        "<thead><tr><th>Name</th></tr></thead>"
    )
    assert names_breakable(untouched) == untouched
    # A link inside the code, and a character reference, are not split.
    linked = '<td><code><a href="a.b/c_d.html">a.b</a> &lt;&#x2F;&gt;x.Y</code></td>'
    assert names_breakable(linked) == (
        '<td><code><a href="a.b/c_d.html">a.<wbr>b</a> &lt;&#x2F;&gt;x.<wbr>Y</code></td>'
    )
