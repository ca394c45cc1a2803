"""Committed chapter outputs: execute, make stable, record, check.

Chapters are committed with the outputs of a real tiny-preset run, so GitHub, Colab and the docs show figures and
numbers without running anything. Two scripts use this module:

- `python tools/refresh_outputs.py [NB...]` executes chapters (nbdev's execnb machinery, the same flags as
  `nbdev-test`: `#| eval: false` and the `tst_flags` cells are skipped unless `--flags` names them), strips volatile
  output, saves the notebooks with their outputs, runs `nbdev-clean` on them, and records a digest of each chapter's
  code cells in `nbs/outputs.json`.
- `python tools/check_outputs.py` exits 1 listing every chapter whose code changed since its outputs were saved
  (stale), every chapter whose library code changed since then (stale too), and every chapter with no recorded outputs.

The record lives in `nbs/outputs.json`, not in notebook metadata: `nbdev-clean` strips notebook metadata.

What counts as code: the source of code cells only (markdown and outputs do not count), each cell normalised
(line endings to `\\n`, trailing spaces of every line and blank lines at both ends removed); empty code cells are
left out. So rewording prose does not make a chapter stale; any change to code does.

What counts as library code: a chapter runs more than its own cells. Each record also holds a digest of every
`personacap` module the chapter imports (its `default_exp` module and the modules named in its `import` lines),
closed over the modules those import (`from .x import`, `from personacap.x import`, also inside functions, and
`"personacap.x"` strings as `import_module` and the command tables use), plus `__init__` and each shipped entry of
`personacap/data/` (a checkpoint, a tokenizer) that one of those modules names. A new checkpoint or a change in an
upstream module makes every chapter that runs it stale, and the check names the modules that changed.

Volatile output (kept out, so a refresh does not churn the diff):
- progress bars: widget outputs, and stream lines drawn with carriage returns or matching `PROGRESS` (tqdm's
  `NN%|` bars and `it/s` / `s/it` rates);
- timings: a number followed by a time unit (`TIMING`: `12 s`, `0.18 s/image`, `3.5 min`, `20 ms`) keeps its unit
  and loses its value, shown as `…` (e.g. `fine-tuning cell: … s`); run the chapter to see your own;
- machine paths: the cache folder becomes `$PERSONACAP_CACHE`, the repository `.`, temporary folders `/tmp/…`.
"""
from __future__ import annotations
import hashlib, json, os, re, subprocess, sys, tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NBS = REPO/"nbs"
RECORD = NBS/"outputs.json"
RECORD_VERSION = 1
PKG = REPO/"personacap"

TIMING = re.compile(r"(?<![\w.@])\d+(?:[.,]\d+)?(?=\s?(?:ms|s|sec|secs|seconds|min|mins|minutes)\b)")
SECONDS_FIELD = re.compile(r'(?<=["\']seconds["\']: |_seconds["\']: )\d+(?:\.\d+)?')   # a JSON/dict field of seconds
PROGRESS = re.compile(r"\d+%\|.*\||\d+(?:\.\d+)?\s?(?:it/s|s/it)\b")
WIDGET = "application/vnd.jupyter.widget-view+json"
TEXT_MIMES = ("text/plain", "text/markdown", "text/html", "text/latex")

# ---------------------------------------------------------------- digests and the record

def _source(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s

def normalise_code(src:str) -> str:
    "One code cell as it counts for the digest: `\\n` line endings, no trailing spaces, no blank lines at either end."
    lines = [l.rstrip() for l in src.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n")

def read_nb(path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))

def code_digest(nb) -> str:
    "sha256 of a notebook's normalised code cells (a path or a loaded notebook dict)."
    nb = read_nb(nb) if isinstance(nb, (str, os.PathLike)) else nb
    cells = [normalise_code(_source(c)) for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    return hashlib.sha256("\n\x1e\n".join(c for c in cells if c).encode()).hexdigest()

def has_code(nb) -> bool:
    nb = read_nb(nb) if isinstance(nb, (str, os.PathLike)) else nb
    return any(normalise_code(_source(c)) for c in nb.get("cells", []) if c.get("cell_type") == "code")

def has_outputs(nb) -> bool:
    nb = read_nb(nb) if isinstance(nb, (str, os.PathLike)) else nb
    return any(c.get("outputs") for c in nb.get("cells", []) if c.get("cell_type") == "code")

def chapters(nbs=NBS) -> list[Path]:
    "The notebooks whose outputs are committed: every `*.ipynb` of `nbs` not starting with `_` or `.`, that has code."
    return [p for p in sorted(Path(nbs).glob("*.ipynb")) if not p.name.startswith(("_", ".")) and has_code(p)]

def load_record(path=RECORD) -> dict:
    path = Path(path)
    if not path.exists(): return {"version": RECORD_VERSION, "chapters": {}}
    d = json.loads(path.read_text(encoding="utf-8"))
    if d.get("version") != RECORD_VERSION: raise SystemExit(f"{path}: record version {d.get('version')!r}, expected {RECORD_VERSION}")
    return d

def save_record(rec:dict, path=RECORD) -> Path:
    "Write the record atomically, keys sorted (a refresh of one chapter changes one entry)."
    path = Path(path)
    rec = {"version": RECORD_VERSION,
           "about": "code digests of chapters whose committed outputs came from tools/refresh_outputs.py; "
                    "checked by tools/check_outputs.py (see tools/nb_outputs.py)",
           "chapters": dict(sorted(rec.get("chapters", {}).items()))}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f: f.write(json.dumps(rec, indent=1) + "\n")
    os.replace(tmp, path)
    return path

def check(nbs=NBS, record=RECORD, names=None, pkg=PKG) -> dict[str, str]:
    """Problems by notebook name: 'no outputs recorded ...', 'stale: ...' (its code cells, or the library it runs, changed
    since its outputs were saved, or no library digests were recorded) or 'recorded, but the notebook has no outputs ...'."""
    rec = load_record(record)["chapters"]
    paths = chapters(nbs) if not names else [Path(nbs)/(n if n.endswith(".ipynb") else n + ".ipynb") for n in names]
    out = {}
    for p in paths:
        nb = read_nb(p); e = rec.get(p.name)
        if e is None: out[p.name] = "no outputs recorded (never refreshed)"
        elif e["code"] != code_digest(nb): out[p.name] = "stale: a code cell changed since its outputs were saved"
        elif not has_outputs(nb): out[p.name] = "recorded, but the notebook has no outputs (were they cleared?)"
        elif "library" not in e: out[p.name] = "stale: no library digests recorded (outputs saved before they were)"
        elif (lib := library_digests(nb, pkg)) != e["library"]:
            changed = sorted(k for k in set(lib) | set(e["library"]) if lib.get(k) != e["library"].get(k))
            out[p.name] = "stale: library code it runs changed since its outputs were saved: " + ", ".join(changed)
    return out

# ---------------------------------------------------------------- the library code a chapter runs

_FROM = re.compile(r"^[ \t]*from[ \t]+(personacap(?:\.\w+)*|\.+\w*(?:\.\w+)*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]+)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^\n#]+)", re.M)
_NAMED = re.compile(r"""["']personacap\.(\w+)""")          # "personacap.x" in a string: import_module targets, command tables
_DEFAULT_EXP = re.compile(r"^#\|[ \t]*default_exp[ \t]+([\w.]+)", re.M)

def package_modules(pkg=PKG) -> list[str]:
    "Module names of the package folder `pkg` (no `_modidx`)."
    return sorted(p.stem for p in Path(pkg).glob("*.py") if p.stem != "_modidx")

def imported_modules(src:str, modules) -> set[str]:
    """The package modules (names in `modules`) that code `src` imports: `from personacap[.x] import ...`, `from .x import ...`,
    `import personacap.x`, and modules named in strings (`import_module("personacap.x")`, `"personacap.x:fn"` tables)."""
    modules, out = set(modules), set()
    for where, names in _FROM.findall(src):
        sub = where.removeprefix("personacap").lstrip(".")
        if sub: out.add(sub.split(".")[0])
        else: out |= {n.split(" as ")[0].strip() for n in names.strip("()").replace("\n", " ").split(",")} & modules
    for line in _IMPORT.findall(src):
        for part in line.split(","):
            name = part.split(" as ")[0].strip()
            if name.startswith("personacap."): out.add(name.split(".")[1])
    out |= set(_NAMED.findall(src))
    return out & modules

def module_closure(names, pkg=PKG) -> list[str]:
    "`names` and every package module they import, directly or not (with `__init__`)."
    pkg = Path(pkg); mods = package_modules(pkg)
    todo, done = list(set(names) & set(mods)) + ["__init__"], set()
    while todo:
        m = todo.pop()
        if m in done: continue
        done.add(m); todo += list(imported_modules((pkg/f"{m}.py").read_text(encoding="utf-8"), mods) - done)
    return sorted(done)

def chapter_modules(nb, pkg=PKG) -> list[str]:
    "The package modules a chapter runs: its `default_exp` module and its imports, closed over the package's own imports."
    nb = read_nb(nb) if isinstance(nb, (str, os.PathLike)) else nb
    src = "\n".join(_source(c) for c in nb.get("cells", []) if c.get("cell_type") == "code")
    names = imported_modules(src, package_modules(pkg)) | set(_DEFAULT_EXP.findall(src))
    return module_closure(names, pkg)

def _files_digest(files, root:Path) -> str:
    "sha256 (16 hex) of files' paths relative to `root` and their bytes, in sorted order."
    h = hashlib.sha256()
    for p in sorted(files): h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]

def library_digests(nb, pkg=PKG) -> dict[str, str]:
    """`{module: digest}` of the modules a chapter runs, and `{"data/<name>": digest}` of each shipped entry of
    `personacap/data/` (a checkpoint folder or a file) whose name one of those modules mentions (e.g. `"tiny_clip"`)."""
    pkg = Path(pkg); mods = chapter_modules(nb, pkg)
    out = {m: _files_digest([pkg/f"{m}.py"], pkg) for m in mods}
    src = "\n".join((pkg/f"{m}.py").read_text(encoding="utf-8") for m in mods)
    data = pkg/"data"
    for entry in sorted(data.iterdir()) if data.is_dir() else []:
        if entry.name.startswith((".", "__")) or entry.name not in src: continue
        files = [entry] if entry.is_file() else [q for q in entry.rglob("*") if q.is_file()]
        out[f"data/{entry.name}"] = _files_digest(files, data)
    return out

# ---------------------------------------------------------------- making outputs stable

def _path_masks() -> list[tuple[str, str]]:
    masks = []
    cache = os.environ.get("PERSONACAP_CACHE")
    if cache: masks.append((str(Path(cache).resolve()), "$PERSONACAP_CACHE")); masks.append((cache, "$PERSONACAP_CACHE"))
    masks.append((str(REPO), "."))
    home = str(Path.home())
    if home not in ("/", ""): masks.append((home, "~"))
    return masks

_TMP = re.compile(r"/tmp/[\w.-]+")

def stable_text(text:str) -> str:
    "Timings and machine paths masked (see the module's docstring)."
    for a, b in _path_masks(): text = text.replace(a, b)
    text = _TMP.sub("/tmp/…", text)
    return SECONDS_FIELD.sub("…", TIMING.sub("…", text))

def _join(x): return "".join(x) if isinstance(x, list) else x

def _stable_stream(text:str) -> str:
    keep = []
    for line in text.split("\n"):
        if "\r" in line:
            line = line.rsplit("\r", 1)[-1]                  # what a terminal would show last
            if not line.strip() or PROGRESS.search(line): continue
        elif PROGRESS.search(line): continue
        keep.append(line)
    return stable_text("\n".join(keep))

def stable_outputs(outputs:list) -> list:
    "A cell's outputs without progress bars and widgets, timings and paths masked, execution counts dropped."
    out = []
    for o in outputs:
        o = dict(o); kind = o.get("output_type")
        if kind == "stream":
            text = _stable_stream(_join(o.get("text", "")))
            if not text.strip(): continue
            o["text"] = text
        elif kind in ("display_data", "execute_result"):
            data = {k: v for k, v in o.get("data", {}).items() if k != WIDGET}
            if not data or set(data) == {"text/plain"} and _join(data["text/plain"]).startswith(("HBox(", "FloatProgress(")): continue
            o["data"] = {k: (stable_text(_join(v)) if k in TEXT_MIMES else v) for k, v in data.items()}
            o["metadata"] = {}
            if kind == "execute_result": o["execution_count"] = None
        elif kind == "error":
            o["traceback"] = [stable_text(t) for t in o.get("traceback", [])]
        out.append(o)
    return out

# ---------------------------------------------------------------- executing

def execute(path, flags:list[str]=(), timeout:int|None=600) -> dict:
    """Run notebook `path` as `nbdev-test` does (same skipped cells, run from its folder) and return the raw notebook
    (as on disk, sources untouched) with each executed cell's outputs made stable. Raises RuntimeError on failure."""
    from execnb.shell import CaptureShell
    from fastcore.xtras import working_directory
    from nbdev.config import get_config
    from nbdev.process import NBProcessor
    from nbdev.test import _skip_cell
    path = Path(path).resolve()
    cfg = get_config(path.parent)
    if not Path(cfg.config_file).exists(): cfg = get_config(NBS)      # a notebook outside a project: this project's flags
    skip = cfg.tst_flags.split() if isinstance(cfg.tst_flags, str) else list(cfg.tst_flags or [])
    nb = NBProcessor(path, rm_directives=False, process=True).nb
    skipped = _skip_cell(nb, skip, list(flags))
    for c in nb.cells:
        if c.cell_type == "code": c["outputs"] = []            # a skipped cell keeps no output of an older run
    shell = CaptureShell(path, mpl_format="png")
    prev = os.environ.get("IN_TEST"); os.environ["IN_TEST"] = "1"
    try:
        with working_directory(path.parent):
            shell.run_all(nb, exc_stop=True, preproc=skipped, cell_timeout=timeout)
    except Exception as e:
        raise RuntimeError(f"{path.name}: a cell failed, outputs not saved:\n{shell.prettytb(fname=path) or e}") from e
    finally:
        if prev is None: os.environ.pop("IN_TEST", None)
        else: os.environ["IN_TEST"] = prev
    raw = read_nb(path)
    if len(raw["cells"]) != len(nb.cells): raise RuntimeError(f"{path.name}: cell count changed during execution")
    for c, e in zip(raw["cells"], nb.cells):
        if c.get("cell_type") != "code": continue
        c["outputs"] = stable_outputs([dict(o) for o in (e.get("outputs") or [])])
        c["execution_count"] = None
    return raw

def write_nb(nb:dict, path) -> Path:
    "Write a notebook as nbdev does (1-space indent, trailing newline), atomically."
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".ipynb", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f: f.write(json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    os.replace(tmp, path)
    return path

def nbdev_clean(path) -> None:
    "`nbdev-clean` on one notebook (the committed form), run in the notebook's repository."
    exe = Path(sys.executable).with_name("nbdev-clean")
    cmd = [str(exe) if exe.exists() else "nbdev-clean", "--fname", str(path)]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=Path(path).parent)
    if r.returncode: raise RuntimeError(f"nbdev-clean failed on {path}: {r.stderr[-2000:]}")

def refresh(path, record=RECORD, flags:list[str]=(), timeout:int|None=600, clean:bool=True, pkg=PKG) -> dict:
    "Execute one chapter, save it with stable outputs, clean it, and record its code and library digests. Returns its record entry."
    path = Path(path)
    library = library_digests(path, pkg)            # the library as it is when the run starts: what the outputs come from
    nb = execute(path, flags, timeout)
    write_nb(nb, path)
    if clean: nbdev_clean(path)
    rec = load_record(record)
    entry = {"code": code_digest(path), "library": library,
             "preset": os.environ.get("PERSONACAP_PRESET", "automatic"), "flags": sorted(flags)}
    rec["chapters"][path.name] = entry
    save_record(rec, record)
    return entry
