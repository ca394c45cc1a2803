"""A lint that would have caught chapter 02's `str(e).replace(x, x)` inside an assertion: a call whose
arguments are identical (`s.replace(a, a)`) does nothing, so a check built on it tests nothing."""
import ast, json, re
from pathlib import Path

import pytest

NBS = sorted((Path(__file__).resolve().parent.parent/"nbs").glob("*.ipynb"))
NOOP_METHODS = {"replace"}


def code_cells(nb_path):
    for i, c in enumerate(json.loads(nb_path.read_text(encoding="utf-8"))["cells"]):
        if c["cell_type"] != "code": continue
        src = "".join(c["source"])
        src = "\n".join("" if re.match(r"\s*[!%]", l) else l for l in src.splitlines())   # shell and magic lines
        yield i, src


def noop_calls(src):
    try: tree = ast.parse(src)
    except SyntaxError: return []
    return [ast.unparse(n) for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in NOOP_METHODS
            and len(n.args) >= 2 and ast.dump(n.args[0]) == ast.dump(n.args[1])]


def test_lint_finds_the_old_pattern():
    old = 'assert msg in str(e) and str(f.parent) in str(e).replace(str(f.parent.parent) + "/", str(f.parent.parent) + "/")'
    assert noop_calls(old) and not noop_calls('s.replace("a", "b")')


@pytest.mark.parametrize("nb", NBS, ids=[p.name for p in NBS])
def test_no_noop_replace_in_notebooks(nb):
    bad = [(i, call) for i, src in code_cells(nb) for call in noop_calls(src)]
    assert not bad, f"{nb.name}: no-op calls {bad}"
