"Install-level promises: runtime vs dev dependencies, bounds that Colab satisfies, the CPU pin."
import re, tomllib
from pathlib import Path
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PY = tomllib.loads((ROOT / "pyproject.toml").read_text())
RUNTIME = {Requirement(r).name.lower(): Requirement(r) for r in PY["project"]["dependencies"]}
DEV = {Requirement(r).name.lower(): Requirement(r) for r in PY["project"]["optional-dependencies"]["dev"]}

# What a Colab runtime ships (2026): an install there must not reinstall these.
COLAB = {"torch": "2.11.0", "transformers": "5.15.0", "peft": "0.20.0", "ipywidgets": "7.7.1"}

def test_runtime_has_every_library_the_chapters_use():
    need = {"torch", "transformers", "peft", "tokenizers", "safetensors", "matplotlib", "ipywidgets",
            "nltk", "pycocoevalcap", "accelerate", "tqdm", "pillow", "fastcore"}
    assert need <= set(RUNTIME), need - set(RUNTIME)

def test_dev_tools_are_not_runtime_dependencies():
    assert {"nbdev", "jupyterlab"} <= set(DEV)
    assert not ({"nbdev", "jupyterlab", "pytest", "jupytext"} & set(RUNTIME))

def test_colab_versions_satisfy_the_bounds():
    for name, v in COLAB.items():
        assert Version(v) in RUNTIME[name].specifier, f"{name} {v} (Colab) violates {RUNTIME[name]}"

def test_transformers_is_major_5():
    assert Version("5.99") in RUNTIME["transformers"].specifier
    assert Version("6.0") not in RUNTIME["transformers"].specifier

def test_cpu_constraint_pins_torch_and_nothing_else():
    lines = [l.split("#")[0].strip() for l in (ROOT / "constraints-cpu.txt").read_text().splitlines()]
    assert [l for l in lines if l] == ["torch==2.13.0"]
    assert Version("2.13.0") in RUNTIME["torch"].specifier

def test_readme_commands_are_the_ones_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "<!-- ci:install -->" in readme and "<!-- ci:test -->" in readme
    assert "readme_block install" in ci and "readme_block test" in ci
    test_cmd = re.search(r"<!-- ci:test -->\n```bash\n(.+?)\n```", readme).group(1)
    assert "nbdev-test" in test_cmd and "pytest tests" in test_cmd and "OMP_NUM_THREADS=1" in test_cmd

def test_nbdev_config_flags_and_colab_metadata():
    nb = PY["tool"]["nbdev"]
    assert {"slow", "gpu"} <= set(nb["tst_flags"])
    assert {"accelerator", "colab"} <= set(nb["allowed_metadata_keys"])

def test_console_script_declared():
    assert PY["project"]["scripts"]["personacap"] == "personacap.cli:main"

def test_every_package_a_chapter_imports_is_a_runtime_dependency():
    "A plain `pip install .` must run every chapter's cells: what the notebooks import is installed with the package."
    import json, sys
    dist = {"PIL": "pillow", "yaml": "pyyaml", "IPython": "ipython", "sklearn": "scikit-learn"}
    transitive = {"ipython", "huggingface_hub", "packaging", "pycocotools", "jinja2"}   # installed by the runtime deps
    seen = set()
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] != "code": continue
            for line in "".join(cell["source"]).splitlines():
                m = re.match(r"\s*(?:from\s+([A-Za-z_]\w*)[\w.]*\s+import\s|import\s+([A-Za-z_]\w*))", line)
                if m: seen.add(m.group(1) or m.group(2))
    third = {m for m in seen if m not in sys.stdlib_module_names and m not in ("personacap", "__future__", "nbdev")}
    missing = {dist.get(m, m).lower().replace("_", "-") for m in third} - {n.replace("_", "-") for n in RUNTIME} \
              - {n.replace("_", "-") for n in transitive}
    assert not missing, f"chapters import {missing}, which `pip install .` does not install"

def test_shipped_data_is_package_data():
    pd = PY["tool"]["setuptools"]["package-data"]["personacap"]
    assert "data/**/*" in pd
    assert (ROOT / "personacap" / "data" / "tiny_clip" / "config.json").exists()
