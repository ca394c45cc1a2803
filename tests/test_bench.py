"""Every script in bench/ still imports against the current library (the benches are run by hand, so a renamed
function would otherwise go unnoticed until someone tries to reproduce a figure in their docstrings)."""
import importlib.util
from pathlib import Path

import pytest

BENCH = sorted((Path(__file__).resolve().parents[1] / "bench").glob("*.py"))


def test_there_are_benches():
    assert len(BENCH) >= 7, [p.name for p in BENCH]


@pytest.mark.parametrize("path", BENCH, ids=[p.stem for p in BENCH])
def test_bench_imports(path):
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)                 # module level only: each script runs its work under `__main__`
    assert callable(getattr(mod, "main", None)), f"{path.name} has no main()"
