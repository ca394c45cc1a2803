"""The committed-outputs check (tools/check_outputs.py) passes on a fresh refresh and fails when a code cell changes
without one; a refresh does not churn. Runs on a tiny synthetic chapter and on a copy of 00a_text (no heavy chapter)."""
import json, shutil, subprocess, sys
from pathlib import Path
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO/"tools"))
import nb_outputs as O

def fixture_nb(path):
    "A small chapter: skipped install cell, imports, a figure, a markdown table, a progress bar and a timing line, a slow cell."
    import nbformat as nbf
    nb = nbf.v4.new_notebook()
    nb.cells = [nbf.v4.new_markdown_cell("# Fixture\n\n> a tiny chapter"),
                nbf.v4.new_code_cell("#| eval: false\n!pip install nothing"),
                nbf.v4.new_code_cell("import time\nimport matplotlib.pyplot as plt\nfrom IPython.display import Markdown, display"),
                nbf.v4.new_code_cell("t = time.time()\nfig, ax = plt.subplots(figsize=(3, 2)); ax.plot([1, 2, 3], [1, 4, 9])\nplt.show()"),
                nbf.v4.new_code_cell("display(Markdown('| n | n squared |\\n|---|---|\\n| 2 | 4 |\\n| 3 | 9 |'))"),
                nbf.v4.new_code_cell("from tqdm.auto import tqdm\nfor i in tqdm(range(3)): time.sleep(0.01)\n"
                                     "print(f'loop took {time.time() - t:.3f} s, 3 steps')"),
                nbf.v4.new_code_cell("#| slow\nprint('slow cell ran')")]
    nbf.write(nb, path)
    return path

def run_tool(name, *args):
    return subprocess.run([sys.executable, str(REPO/"tools"/name), *map(str, args)], capture_output=True, text=True, timeout=600)

@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    nbs = tmp_path_factory.mktemp("nbs")
    fixture_nb(nbs/"fixture.ipynb")
    r = run_tool("refresh_outputs.py", nbs/"fixture.ipynb", "--nbs", nbs)
    assert r.returncode == 0, r.stderr
    return nbs

def outputs(path): return [c.get("outputs", []) for c in O.read_nb(path)["cells"] if c["cell_type"] == "code"]

def test_refresh_saves_figure_table_and_stable_text(refreshed):
    outs = outputs(refreshed/"fixture.ipynb")
    assert outs[0] == [], "the `#| eval: false` cell is not run"
    assert any("image/png" in o.get("data", {}) for o in outs[2]), "the figure is saved"
    assert any("| 2 | 4 |" in "".join(o["data"].get("text/markdown", "")) for o in outs[3]), "the table is saved"
    text = "".join("".join(o.get("text", "")) for o in outs[4])
    assert text == "loop took … s, 3 steps\n", text           # the progress bar is gone, the timing masked
    assert outs[5] == [], "the `#| slow` cell is skipped, as nbdev-test does"
    rec = json.loads((refreshed/"outputs.json").read_text())
    assert rec["chapters"]["fixture.ipynb"]["code"] == O.code_digest(refreshed/"fixture.ipynb")

def test_check_passes_on_fresh_record_and_fails_when_code_changes(refreshed, tmp_path):
    nbs = tmp_path/"nbs"; shutil.copytree(refreshed, nbs)
    r = run_tool("check_outputs.py", "--nbs", nbs)
    assert r.returncode == 0, r.stderr
    nb = O.read_nb(nbs/"fixture.ipynb")                     # prose changes: still fresh
    nb["cells"][0]["source"] = "# Fixture\n\n> reworded prose"
    O.write_nb(nb, nbs/"fixture.ipynb")
    assert run_tool("check_outputs.py", "--nbs", nbs).returncode == 0
    code = next(c for c in nb["cells"] if c["cell_type"] == "code" and "plt.subplots" in "".join(c["source"]))
    code["source"] = "".join(code["source"]).replace("[1, 4, 9]", "[1, 8, 27]")
    O.write_nb(nb, nbs/"fixture.ipynb")
    r = run_tool("check_outputs.py", "--nbs", nbs)
    assert r.returncode == 1 and "fixture.ipynb: stale" in r.stderr and "refresh_outputs.py fixture.ipynb" in r.stderr, r.stderr
    r = run_tool("refresh_outputs.py", "fixture", "--nbs", nbs)
    assert r.returncode == 0, r.stderr
    assert run_tool("check_outputs.py", "--nbs", nbs).returncode == 0

def test_chapter_without_outputs_is_listed(refreshed, tmp_path):
    nbs = tmp_path/"nbs"; shutil.copytree(refreshed, nbs)
    fixture_nb(nbs/"new_chapter.ipynb")
    r = run_tool("check_outputs.py", "--nbs", nbs)
    assert r.returncode == 1 and "new_chapter.ipynb: no outputs recorded" in r.stderr and "fixture.ipynb" not in r.stderr.split("fix:")[0], r.stderr
    rec = O.load_record(nbs/"outputs.json")                  # recorded, then outputs cleared (e.g. by a clear-all tool)
    rec["chapters"]["new_chapter.ipynb"] = {"code": O.code_digest(nbs/"new_chapter.ipynb")}
    O.save_record(rec, nbs/"outputs.json")
    assert O.check(nbs, nbs/"outputs.json") == {"new_chapter.ipynb": "recorded, but the notebook has no outputs (were they cleared?)"}

def test_refresh_does_not_churn(refreshed, tmp_path):
    nbs = tmp_path/"nbs"; shutil.copytree(refreshed, nbs)
    before = (nbs/"fixture.ipynb").read_bytes()
    r = run_tool("refresh_outputs.py", nbs/"fixture.ipynb", "--nbs", nbs)
    assert r.returncode == 0, r.stderr
    assert (nbs/"fixture.ipynb").read_bytes() == before

def test_real_chapter_copy_00a_text(tmp_path):
    "A copy of a real (small) chapter: refresh, check passes, change one code cell, check fails."
    nbs = tmp_path/"nbs"; nbs.mkdir()
    shutil.copy(REPO/"nbs"/"00a_text.ipynb", nbs)
    r = run_tool("refresh_outputs.py", nbs/"00a_text.ipynb", "--nbs", nbs)
    assert r.returncode == 0, r.stderr[-3000:]
    assert O.has_outputs(nbs/"00a_text.ipynb")
    assert O.check(nbs, nbs/"outputs.json") == {}
    nb = O.read_nb(nbs/"00a_text.ipynb")
    c = [c for c in nb["cells"] if c["cell_type"] == "code"][-1]
    c["source"] = "".join(c["source"]) + "\n1 + 1"
    O.write_nb(nb, nbs/"00a_text.ipynb")
    assert O.check(nbs, nbs/"outputs.json") == {"00a_text.ipynb": "stale: a code cell changed since its outputs were saved"}

def test_volatile_rules():
    bar = {"output_type": "stream", "name": "stderr", "text": "CLIP features:  50%|#####     | 1/2 [00:01<00:01, 1.2it/s]\r"
                                                              "CLIP features: 100%|##########| 2/2 [00:02<00:00, 1.1it/s]\n"}
    assert O.stable_outputs([bar]) == []
    widget = {"output_type": "display_data", "data": {O.WIDGET: {"model_id": "x"}, "text/plain": "HBox(children=(FloatProgress(value=0.0),))"}, "metadata": {}}
    assert O.stable_outputs([widget]) == []
    assert O.stable_text("fine-tuning cell: 12 s; 0.18 s/image; 3.5 min; 20 ms") == "fine-tuning cell: … s; … s/image; … min; … ms"
    assert O.stable_text("R@5 0.52, 1200 steps, 5 shapes, 64 px") == "R@5 0.52, 1200 steps, 5 shapes, 64 px"
    assert O.stable_text('{"train_seconds": 175.635, "steps": 1200}') == '{"train_seconds": …, "steps": 1200}'   # a saved run's seconds field
    assert O.normalise_code("x = 1   \r\n\n") == O.normalise_code("\nx = 1")

def fixture_pkg(root):
    "A package `personacap` of three modules (a imports b; b names its shipped file) and an unrelated one, with `data/`."
    pkg = root/"personacap"; (pkg/"data"/"thing").mkdir(parents=True)
    (pkg/"__init__.py").write_text("__version__ = '0'\n")
    (pkg/"a.py").write_text("from .b import f\ndef g(): return f()\n")
    (pkg/"b.py").write_text("def f():\n    from personacap import c\n    return 'thing'\n")
    (pkg/"c.py").write_text("import importlib\nM = importlib.import_module('personacap.d')\n")
    (pkg/"d.py").write_text("X = 1\n")
    (pkg/"lonely.py").write_text("Y = 2\n")
    (pkg/"_modidx.py").write_text("d = {}\n")
    (pkg/"data"/"thing"/"weights.bin").write_bytes(b"\x00\x01")
    (pkg/"data"/"other.json").write_text("{}")
    return pkg

def test_library_closure_and_digests(tmp_path):
    "A chapter's library: its imports closed over the package's own (relative, absolute, inside functions, import_module strings)."
    import nbformat as nbf
    pkg = fixture_pkg(tmp_path)
    nb = nbf.v4.new_notebook()
    nb.cells = [nbf.v4.new_code_cell("#| default_exp lonely"), nbf.v4.new_code_cell("from personacap.a import g\nprint(g())")]
    assert O.chapter_modules(nb, pkg) == ["__init__", "a", "b", "c", "d", "lonely"]
    nb.cells = nb.cells[1:]
    lib = O.library_digests(nb, pkg)
    assert sorted(lib) == ["__init__", "a", "b", "c", "d", "data/thing"], lib      # other.json is named by no module it runs
    assert O.imported_modules("import personacap.d as dd, os\nfrom personacap import (a,\n  lonely)", O.package_modules(pkg)) == {"a", "d", "lonely"}

def test_library_change_makes_chapter_stale(refreshed, tmp_path):
    "A recorded chapter goes stale when a module it runs changes or a shipped file it names changes, and the check names them."
    import nbformat as nbf
    pkg = fixture_pkg(tmp_path)
    nbs = tmp_path/"nbs"; shutil.copytree(refreshed, nbs)
    nb = nbf.read(nbs/"fixture.ipynb", as_version=4)
    nb.cells.append(nbf.v4.new_code_cell("#| eval: false\nfrom personacap.a import g"))       # never run: the package is a fixture
    nbf.write(nb, nbs/"fixture.ipynb")
    rec = O.load_record(nbs/"outputs.json")
    rec["chapters"]["fixture.ipynb"].update(code=O.code_digest(nbs/"fixture.ipynb"), library=O.library_digests(nbs/"fixture.ipynb", pkg))
    O.save_record(rec, nbs/"outputs.json")
    assert O.check(nbs, nbs/"outputs.json", pkg=pkg) == {}
    (pkg/"lonely.py").write_text("Y = 3\n"); (pkg/"data"/"other.json").write_text("[]")        # not run by the chapter
    assert O.check(nbs, nbs/"outputs.json", pkg=pkg) == {}
    (pkg/"d.py").write_text("X = 2\n")
    assert O.check(nbs, nbs/"outputs.json", pkg=pkg) == {"fixture.ipynb": "stale: library code it runs changed since its outputs were saved: d"}
    (pkg/"data"/"thing"/"weights.bin").write_bytes(b"\x00\x02")
    assert O.check(nbs, nbs/"outputs.json", pkg=pkg)["fixture.ipynb"].endswith(": d, data/thing")
    del rec["chapters"]["fixture.ipynb"]["library"]; O.save_record(rec, nbs/"outputs.json")
    assert O.check(nbs, nbs/"outputs.json", pkg=pkg)["fixture.ipynb"].startswith("stale: no library digests recorded")
