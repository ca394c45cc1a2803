"The `personacap` command as a user runs it: installed on the path, in a subprocess."
import json, os, shutil, subprocess, sys
import pytest

EXE = shutil.which("personacap")
ENV = {**os.environ, "PERSONACAP_PRESET": "tiny", "HF_HUB_OFFLINE": "1"}

def run(*args):
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=120, env=ENV)

@pytest.mark.skipif(EXE is None, reason="personacap is not installed on PATH")
def test_help_lists_subcommands():
    r = run("--help")
    assert r.returncode == 0, r.stderr
    assert "info" in r.stdout and "usage: personacap" in r.stdout

@pytest.mark.skipif(EXE is None, reason="personacap is not installed on PATH")
def test_info_json_reports_preset_device_versions_java():
    r = run("info", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["preset"] == "tiny" and d["preset_source"] == "PERSONACAP_PRESET"
    assert d["device"] == "cpu" or d["cuda"]
    import torch
    assert d["packages"]["torch"] == torch.__version__
    assert (d["java"] is None) == (shutil.which("java") is None)
    assert d["hub_reachable"] is False          # HF_HUB_OFFLINE=1 is respected

@pytest.mark.skipif(EXE is None, reason="personacap is not installed on PATH")
def test_bad_preset_is_a_clean_error():
    r = run("info", "--preset", "huge")
    assert r.returncode == 2 and "invalid choice" in r.stderr and "Traceback" not in r.stderr

def test_module_entry_point_matches():
    from personacap.cli import main
    assert main(["info", "--preset", "tiny"]) == 0

@pytest.mark.skipif(EXE is None, reason="personacap is not installed on PATH")
def test_tour_and_pretrain_are_subcommands():
    r = run("--help")
    assert "tour" in r.stdout and "pretrain-clip" in r.stdout
    r = run("tour", "--help")
    assert r.returncode == 0 and "--quick" in r.stdout and "--data" in r.stdout

@pytest.mark.skipif(EXE is None, reason="personacap is not installed on PATH")
def test_tour_with_missing_data_folder_is_a_clean_error(tmp_path):
    r = run("tour", "--data", str(tmp_path / "no_flickr8k"), "--quick", "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and "no_flickr8k" in r.stderr and "Traceback" not in r.stderr

def test_help_and_info_do_not_import_torch():
    "The command answers at once: `--help` and `info` (no GPU) load neither PyTorch nor transformers."
    code = ("import sys, contextlib, io; from personacap.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()): main(['--help']); main(['info', '--json'])\n"
            "print('torch' in sys.modules, 'transformers' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=ENV)
    assert r.returncode == 0, r.stderr
    if shutil.which("nvidia-smi") is None: assert r.stdout.split() == ["False", "False"], r.stdout

def test_unknown_command_is_a_clean_error():
    from personacap.cli import main
    assert main(["fly"]) == 2
