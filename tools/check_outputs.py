#!/usr/bin/env python
"""Fail when a chapter's committed outputs were produced by a different version of its code: `python tools/check_outputs.py`.

Exit 0 when every chapter's code digest matches nbs/outputs.json; exit 1 listing the stale chapters and those
with no recorded outputs, with the command that fixes them (see tools/nb_outputs.py).
"""
import argparse, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import nb_outputs as O

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", metavar="NB", help="only these notebook names (default: every chapter)")
    ap.add_argument("--nbs", default=str(O.NBS), help="the notebooks folder (default: nbs/)")
    ap.add_argument("--record", default=None, help="the record file (default: <nbs>/outputs.json)")
    a = ap.parse_args(argv)
    nbs = Path(a.nbs); record = Path(a.record) if a.record else nbs/"outputs.json"
    problems = O.check(nbs, record, [Path(n).name for n in a.notebooks] or None)
    if not problems:
        print(f"outputs are up to date ({record})"); return 0
    print(f"{len(problems)} chapter(s) need their outputs refreshed:", file=sys.stderr)
    for name, why in problems.items(): print(f"  {name}: {why}", file=sys.stderr)
    print("fix: python tools/refresh_outputs.py " + " ".join(problems), file=sys.stderr)
    return 1

if __name__ == "__main__": sys.exit(main())
