#!/usr/bin/env python
"""A screenshot of the app's result (personacap.app): `python tools/app_screenshot.py [--methods clipcap,sbg] [--persona s03 | --subject s12] [--out .cache/docs]`.

Captions a world test scene (a test portrait with --persona) with `app.app_caption`, saves the app's page (`app.export_html`: the image and the table the
app shows) and screenshots it with headless Chromium (tools/render_docs.py) to <out>/app.png.
"""
import argparse, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import render_docs as R

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default="clipcap", help="comma-separated methods (default: clipcap)")
    ap.add_argument("--persona", default=None, help="caption a test portrait as this world user too (chapter 30)")
    ap.add_argument("--subject", default=None, help="caption in this world subject's style too (DEPER, chapter 40)")
    ap.add_argument("--name", default="app", help="file name stem of the page and the screenshot (default: app)")
    ap.add_argument("--out", default=str(R.OUT))
    a = ap.parse_args(argv)
    from personacap.app import app_caption, export_html
    from personacap.data import load_world
    w = load_world("tiny")
    rec = (w.portraits("test") if a.persona else w.scenes("test"))[0]
    rows = app_caption(rec.image_path, a.methods.split(","), persona=a.persona, preset="tiny", subject=a.subject)
    for r in rows: print(f"{r['method']:10s} {r.get('role', ''):28s} CLIPScore {r['clip_score']:5.1f}  {r['seconds']:.3f} s  {r['caption']}")
    page = export_html(rec.image_path, rows, Path(a.out)/f"{a.name}.html", f"personacap app: {rec.image_id}")
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", R.PROBE + "</body>", 1), encoding="utf-8")
    png = R.screenshot(page, Path(a.out)/f"{a.name}.png", 1000, 700)
    facts = R.page_facts(R.dump_dom(page))
    print(f"screenshot {png}; {facts['decoded_images']} image(s) decoded, {facts['tables']} table(s)")
    return 0 if facts["decoded_images"] and facts["tables"] else 1

if __name__ == "__main__": sys.exit(main())
