"""Headless-browser docs check: a processed chapter rendered to HTML shows a figure and a table in Chromium.

Runs on the first chapter of nbs/ whose committed outputs hold a figure and a table; while no chapter has committed
outputs, on a small fixture notebook with a matplotlib figure and a markdown table (said in the test's output).
The screenshot is kept at .cache/docs/<name>.png (a CI artefact). Needs Debian's `chromium`."""
import base64, io, json, shutil, sys
from pathlib import Path
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO/"tools"))
import render_docs as R

def _has_figure_and_table(path) -> bool:
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    outs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    data = [o.get("data", {}) for o in outs]
    fig = any("image/png" in d for d in data)
    table = any("|---" in "".join(d.get("text/markdown", "")).replace(" ", "") or "<table" in "".join(d.get("text/html", ""))
                for d in data)
    return fig and table

def fixture_with_outputs(path):
    "A notebook as a refreshed chapter looks: a figure (PNG) and a markdown table among its outputs, no execution needed."
    import matplotlib; matplotlib.use("Agg")
    import matplotlib.pyplot as plt, nbformat as nbf
    fig, ax = plt.subplots(figsize=(3, 2)); ax.plot([1, 2, 3], [1, 4, 9]); ax.set_title("squares")
    buf = io.BytesIO(); fig.savefig(buf, format="png"); plt.close(fig)
    nb = nbf.v4.new_notebook()
    plot = nbf.v4.new_code_cell("fig, ax = plt.subplots(); ax.plot([1, 2, 3], [1, 4, 9])")
    plot.outputs = [nbf.v4.new_output("display_data", {"image/png": base64.b64encode(buf.getvalue()).decode(), "text/plain": "<Figure>"})]
    table = nbf.v4.new_code_cell("Markdown(table)")
    table.outputs = [nbf.v4.new_output("execute_result", {"text/markdown": "| n | n squared |\n|---|---|\n| 2 | 4 |\n| 3 | 9 |",
                                                          "text/plain": "<Markdown>"}, execution_count=None)]
    nb.cells = [nbf.v4.new_markdown_cell("# Fixture chapter\n\n> a figure and a table"), plot, table]
    nbf.write(nb, path)
    return path

def test_chromium_is_installed():
    try: R.find_browser()
    except R.BrowserMissing as e: pytest.fail(str(e))

def test_chapter_page_shows_figure_and_table(tmp_path):
    try: R.find_browser()
    except R.BrowserMissing as e: pytest.fail(str(e))
    with_outputs = [p for p in sorted(R.NBS.glob("[0-9]*.ipynb")) if _has_figure_and_table(p)]
    if with_outputs: nb, expect_cell = with_outputs[0], None
    else:
        print("no chapter has committed outputs with a figure and a table yet: checking a fixture notebook instead")
        nb, expect_cell = fixture_with_outputs(tmp_path/"fixture_chapter.ipynb"), "n squared"
    f = R.render(nb, R.OUT if with_outputs else tmp_path/"docs")
    print(nb.name, {k: v for k, v in f.items() if k != "cells"})
    assert R.check_page(f) == [], R.check_page(f)
    assert f["decoded_images"] >= 1 and all(w > 0 and h > 0 for w, h in f["image_sizes"][:1])
    assert f["tables"] >= 1
    if expect_cell: assert expect_cell in f["cells"] and "9" in f["cells"]
    from PIL import Image
    shot = Path(f["screenshot"])
    with Image.open(shot) as im: assert im.size == (1280, 2400) and len(im.getcolors(1 << 20) or range(2)) > 1   # not blank
    if not with_outputs:                                    # keep the fixture's screenshot as the CI artefact
        R.OUT.mkdir(parents=True, exist_ok=True); shutil.copy(shot, R.OUT/shot.name)

def test_page_without_figure_fails_the_check(tmp_path):
    import nbformat as nbf
    nb = nbf.v4.new_notebook(); nb.cells = [nbf.v4.new_markdown_cell("# Only prose")]
    nbf.write(nb, tmp_path/"prose.ipynb")
    f = R.render(tmp_path/"prose.ipynb", tmp_path/"docs")
    assert R.check_page(f) == ["no figure: 0 <img>, none decoded to a non-zero size", "no <table>"]
