"""`personacap caption` on a world image and on bad inputs; `personacap report` without chapter 30.

Bad inputs are checked before any model loads, so those tests take seconds. The world-image test uses chapter 10's
cached ClipCap (trained once, tiny preset, when the cache is cold)."""
import importlib.util, json, os, shutil, subprocess, sys
from pathlib import Path
import pytest
from PIL import Image

ENV = {**os.environ, "PERSONACAP_PRESET": "tiny", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
HAVE_PERSONAS = importlib.util.find_spec("personacap.personas") is not None

def cli(*args, timeout=900):
    "The installed command when on PATH, else `python -m`-style through personacap.cli.main."
    exe, args = shutil.which("personacap"), [str(a) for a in args]
    cmd = [exe, *args] if exe else [sys.executable, "-c", "import sys; from personacap.cli import main; sys.exit(main(sys.argv[1:]))", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=ENV)

@pytest.fixture
def bad(tmp_path):
    good = tmp_path/"red.png"; Image.new("RGB", (64, 64), (214, 39, 40)).save(good)
    data = good.read_bytes()
    (tmp_path/"half.png").write_bytes(data[: len(data) // 2])                  # a real PNG, cut in half
    (tmp_path/"notes.jpg").write_text("not a photograph, a text file renamed .jpg\n")
    return tmp_path

@pytest.mark.parametrize("name,expect", [("missing.png", "no such image file"), ("half.png", "cannot decode image"),
                                         ("notes.jpg", "not an image file")])
def test_bad_files_raise_image_error_naming_the_file(bad, name, expect):
    from personacap.cli import caption_images
    from personacap.core import ImageError
    with pytest.raises(ImageError) as e: caption_images([bad/"red.png", bad/name], "clipcap", "tiny")
    assert name in str(e.value) and expect in str(e.value)
    assert e.value.path == bad/name

def test_unknown_method_and_user(bad):
    from personacap.cli import caption_images, METHODS
    from personacap.core import ConfigError
    with pytest.raises(ConfigError, match="unknown method 'gpt-5'") as e: caption_images([bad/"red.png"], ["clipcap", "gpt-5"], "tiny")
    assert all(m in str(e.value) for m in METHODS)                            # the fix lists the methods there are
    with pytest.raises(ConfigError, match="unknown user 'nobody'") as e: caption_images([bad/"red.png"], "clipcap", "tiny", persona="nobody")
    assert "s00" in str(e.value)

def test_persona_path_names_what_is_missing(bad):
    "Whatever this install has of chapter 30, --persona with a known user either captions as that user or says what is missing."
    from personacap.cli import caption_images, world_users
    from personacap.core import ConfigError
    from personacap.data import load_world
    user = world_users("tiny")[0]
    if not HAVE_PERSONAS:
        with pytest.raises(ConfigError, match="personas are not available in this install"):
            caption_images([bad/"red.png"], "clipcap", "tiny", persona=user)
        return
    import personacap.personas as P
    if not hasattr(P, "caption_as_user"):
        print("chapter 30 is installed without caption_as_user: checking the error that says so")
        with pytest.raises(ConfigError, match="has no caption_as_user"): caption_images([bad/"red.png"], "clipcap", "tiny", persona=user)
        return
    portrait = load_world("tiny").portraits("test")[0]
    rows = caption_images([portrait.image_path], "clipcap", "tiny", persona=user, progress=False)
    assert [(r["method"], r.get("user")) for r in rows] == [("clipcap", None), ("persona", user)]
    assert rows[1]["caption"].strip()

def test_command_line_errors_are_one_line_exit_2(bad):
    for args, expect in [([str(bad/"notes.jpg")], "notes.jpg: not an image file"),
                         ([str(bad/"half.png")], "half.png: cannot decode image"),
                         ([str(bad/"red.png"), "--method", "gpt-5"], "unknown method 'gpt-5'")]:
        r = cli("caption", *args, timeout=300)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert expect in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert r.stdout == "", "nothing half-written on stdout"
    r = cli("caption", str(bad/"red.png"), str(bad/"half.png"), "--out", str(bad/"rows.json"), timeout=300)
    assert r.returncode == 2 and not (bad/"rows.json").exists(), "nothing half-written to --out"

def test_report_personas_dispatch():
    from personacap.cli import main, REPORTS
    assert REPORTS["personas"] == "personacap.personas:report_personas_main"
    r = cli("report", "personas", "--help", timeout=300)
    if HAVE_PERSONAS: assert r.returncode == 0, r.stderr
    else: assert r.returncode == 2 and "personas are not available in this install" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr

def test_caption_world_image_and_a_photograph_json(tmp_path):
    """A world test scene and a real photograph (matplotlib's sample JPEG of Grace Hopper, public domain) captioned in one
    run of the installed command; JSON rows parsed. The world image's caption uses the world's nouns; the photograph gets
    a caption too (in the world's vocabulary: the models know only shapes and cartoon faces)."""
    import matplotlib.cbook
    from personacap.data import load_world
    from personacap.world import NOUNS
    rec = load_world("tiny").scenes("test")[0]
    photo = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    r = cli("caption", rec.image_path, photo, "--method", "clipcap", "--json", "--quiet", "--out", tmp_path/"rows.json")
    assert r.returncode == 0, r.stderr[-3000:]
    rows = json.loads(r.stdout)
    assert json.loads((tmp_path/"rows.json").read_text()) == rows
    assert [(x["image"], x["method"]) for x in rows] == [(str(rec.image_path), "clipcap"), (str(photo), "clipcap")]
    assert all(x["caption"].strip() and x["seconds"] > 0 for x in rows)
    print("world:", rows[0]["caption"], "| references:", rec.captions, "| photograph:", rows[1]["caption"])
    assert set(rows[0]["caption"].split()) & set(NOUNS), f"no noun of the world in {rows[0]['caption']!r}"
