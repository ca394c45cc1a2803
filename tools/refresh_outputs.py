#!/usr/bin/env python
"""Execute chapters (tiny preset) and commit them with their outputs: `python tools/refresh_outputs.py [NB...]`.

With no NB, every chapter of nbs/ (see tools/nb_outputs.py: `chapters`), one after another. Each chapter is saved only
when all its cells ran; volatile output is stripped, `nbdev-clean` is run on it, and its code digest is recorded in
nbs/outputs.json. `--flags slow` also runs the cells `nbdev-test` skips (e.g. the tour's `#| slow` headline table).
"""
import argparse, os, subprocess, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import nb_outputs as O

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", metavar="NB", help="notebook paths or names (default: every chapter)")
    ap.add_argument("--flags", default="", help="space-separated test flags to run anyway, as nbdev-test --flags")
    ap.add_argument("--nbs", default=str(O.NBS), help="the notebooks folder (default: nbs/)")
    ap.add_argument("--record", default=None, help="the record file (default: <nbs>/outputs.json)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    ap.add_argument("--no-clean", action="store_true", help="do not run nbdev-clean on the saved notebooks")
    a = ap.parse_args(argv)
    os.environ.setdefault("PERSONACAP_PRESET", "tiny")
    nbs = Path(a.nbs); record = Path(a.record) if a.record else nbs/"outputs.json"
    paths = [Path(n) if Path(n).exists() else nbs/(n if n.endswith(".ipynb") else n + ".ipynb") for n in a.notebooks] or O.chapters(nbs)
    failed = []
    for p in paths:
        t = time.time()
        if len(paths) > 1:               # one fresh Python per chapter, as nbdev-test: no state or memory carried over
            args = [sys.executable, __file__, str(p), "--nbs", str(nbs), "--record", str(record), "--flags", a.flags,
                    "--timeout", str(a.timeout)] + (["--no-clean"] if a.no_clean else [])
            if subprocess.run(args).returncode: failed.append(p.name)
            continue
        try: O.refresh(p, record, a.flags.split(), a.timeout, clean=not a.no_clean)
        except RuntimeError as e:
            failed.append(p.name); print(e, file=sys.stderr); continue
        print(f"refreshed {p.name} in {time.time() - t:.0f} s")
    if failed: print("not refreshed (a cell failed): " + ", ".join(failed), file=sys.stderr); return 1
    return 0

if __name__ == "__main__": sys.exit(main())
