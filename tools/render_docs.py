#!/usr/bin/env python
"""Offline docs check: process chapters as the docs site does, render them to HTML, open them in headless Chromium.

    python tools/render_docs.py 10_clipcap [NB...] [--out .cache/docs]

For each chapter: `nbdev-proc-nbs` (its output in `_proc/`, what Quarto would render), nbconvert to HTML (Quarto
cannot be installed here), then Debian's `chromium --headless`: the DOM after the page loaded (`--dump-dom`, with a
small probe script that records each image's decoded size) and a screenshot `<out>/<name>.png`. The check asks the
DOM, not the file system: at least one figure (an `<img>` that decoded to a non-zero size) and one `<table>`.
Exit 1 naming the chapters that fail. Needs `chromium` (Debian: `apt-get install -y chromium`).
"""
from __future__ import annotations
import argparse, json, os, shutil, subprocess, sys, tempfile
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NBS, PROC, OUT = REPO/"nbs", REPO/"_proc", REPO/".cache"/"docs"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL = "install it with: sudo apt-get install -y chromium   (Debian/Ubuntu; on Colab: !apt-get install -y chromium)"

class BrowserMissing(RuntimeError): pass

def find_browser() -> str:
    "The headless browser's path (Chromium), or `BrowserMissing` saying how to install it."
    for b in (os.environ.get("PERSONACAP_CHROMIUM"), *BROWSERS):
        if b and shutil.which(b): return shutil.which(b)
    raise BrowserMissing(f"no Chromium found (looked for {', '.join(BROWSERS)} on PATH and $PERSONACAP_CHROMIUM); {INSTALL}")

# ---------------------------------------------------------------- process and render

def proc_nb(nb, dest_dir=None) -> Path:
    """The notebook as the docs site renders it. A chapter of nbs/ goes through `nbdev-proc-nbs` into `_proc/`;
    any other notebook through the same filter (nbdev's `FilterDefaults`) into `dest_dir`."""
    nb = Path(nb).resolve()
    if nb.parent == NBS.resolve():
        exe = Path(sys.executable).with_name("nbdev-proc-nbs")
        r = subprocess.run([str(exe) if exe.exists() else "nbdev-proc-nbs", "--file-glob", nb.name, "--n-workers", "0"],
                           cwd=REPO, capture_output=True, text=True, timeout=600)
        if r.returncode: raise RuntimeError(f"nbdev-proc-nbs failed on {nb.name}:\n{r.stderr[-3000:]}")
        return PROC/nb.name
    from nbdev.serve_drv import exec_nb
    from nbdev.processors import FilterDefaults
    dest = Path(dest_dir or tempfile.mkdtemp())/nb.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    cwd = os.getcwd(); os.chdir(REPO)                       # FilterDefaults reads this project's config
    try: exec_nb(nb, dest, FilterDefaults)
    finally: os.chdir(cwd)
    return dest

PROBE = """<script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.map.call(document.images, function (i) { return [i.naturalWidth, i.naturalHeight]; });
  document.body.setAttribute('data-probe', JSON.stringify({images: imgs, tables: document.getElementsByTagName('table').length}));
});
</script>"""

def to_html(proc, html=None) -> Path:
    "nbconvert's HTML (lab template, images embedded), with the probe script before `</body>`."
    from nbconvert import HTMLExporter
    import nbformat
    nb = nbformat.read(str(proc), as_version=4)
    nb.cells = [c for c in nb.cells if not (c.cell_type == "raw" and c.source.lstrip().startswith("---"))]   # Quarto's front matter
    keep = {"cell_type", "id", "metadata", "source", "outputs", "execution_count", "attachments"}
    for c in nb.cells:                                      # nbdev's processing adds keys (e.g. has_sd) nbformat rejects
        for k in set(c) - keep: del c[k]
        c.metadata.pop("execution", None)                   # execnb's timing (a float; nbformat wants strings)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    html = Path(html or Path(proc).with_suffix(".html"))
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text(body.replace("</body>", PROBE + "\n</body>", 1), encoding="utf-8")
    return html

def _chromium(args:list[str], timeout:int=120) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
             "--virtual-time-budget=5000", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost"]   # offline: CDN scripts fail at once
    return subprocess.run([find_browser(), *flags, *args], capture_output=True, text=True, timeout=timeout)

def dump_dom(html) -> str:
    r = _chromium(["--dump-dom", Path(html).resolve().as_uri()])
    if r.returncode or "<body" not in r.stdout: raise RuntimeError(f"chromium --dump-dom failed (rc {r.returncode}): {r.stderr[-2000:]}")
    return r.stdout

def screenshot(html, png, width:int=1280, height:int=2400) -> Path:
    png = Path(png); png.parent.mkdir(parents=True, exist_ok=True); png.unlink(missing_ok=True)
    r = _chromium([f"--screenshot={png.resolve()}", f"--window-size={width},{height}", Path(html).resolve().as_uri()])
    if not png.exists(): raise RuntimeError(f"chromium --screenshot wrote nothing (rc {r.returncode}): {r.stderr[-2000:]}")
    return png

# ---------------------------------------------------------------- the DOM

class _Dom(HTMLParser):
    def __init__(self):
        super().__init__(); self.imgs, self.tables, self.probe, self._cell, self.cells = [], 0, None, None, []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img": self.imgs.append(a.get("src", "")[:40])
        if tag == "table": self.tables += 1
        if tag in ("td", "th"): self._cell = []
        if tag == "body" and a.get("data-probe"): self.probe = json.loads(a["data-probe"])
    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None: self.cells.append("".join(self._cell).strip()); self._cell = None
    def handle_data(self, data):
        if self._cell is not None: self._cell.append(data)

def page_facts(dom:str) -> dict:
    "What the browser shows: images (with their decoded sizes, from the probe), tables and their cells' text."
    p = _Dom(); p.feed(dom)
    if p.probe is None: raise RuntimeError("the probe did not run: the page's load event never fired")
    sizes = p.probe["images"]
    return {"images": len(p.imgs), "decoded_images": sum(1 for w, h in sizes if w > 0 and h > 0), "image_sizes": sizes,
            "tables": p.tables, "cells": p.cells}

def check_page(facts:dict) -> list[str]:
    "What is missing: a figure (an image that decoded) and a table."
    out = []
    if not facts["decoded_images"]: out.append(f"no figure: {facts['images']} <img>, none decoded to a non-zero size")
    if not facts["tables"]: out.append("no <table>")
    return out

def render(nb, out=OUT) -> dict:
    "Process, render, browse one notebook; the page facts plus the screenshot's path."
    nb = Path(nb)
    work = Path(out)/"html"
    proc = proc_nb(nb, work/"_proc")
    html = to_html(proc, work/(nb.stem + ".html"))
    facts = page_facts(dump_dom(html))
    facts["screenshot"] = str(screenshot(html, Path(out)/(nb.stem + ".png")))
    facts["html"] = str(html)
    return facts

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="+", metavar="NB", help="chapter names or notebook paths")
    ap.add_argument("--out", default=str(OUT), help="screenshots and HTML go here (default: .cache/docs)")
    a = ap.parse_args(argv)
    try: find_browser()
    except BrowserMissing as e: print(f"render_docs: {e}", file=sys.stderr); return 2
    bad = []
    for n in a.notebooks:
        nb = Path(n) if Path(n).exists() else NBS/(n if n.endswith(".ipynb") else n + ".ipynb")
        f = render(nb, a.out); missing = check_page(f)
        print(f"{nb.name}: {f['decoded_images']}/{f['images']} images decoded, {f['tables']} tables; screenshot {f['screenshot']}")
        if missing: bad.append(nb.name); print(f"  missing: {'; '.join(missing)}", file=sys.stderr)
    if bad: print("pages without a figure or a table: " + ", ".join(bad), file=sys.stderr); return 1
    return 0

if __name__ == "__main__": sys.exit(main())
