"The run cache as two processes meet it: one trains, the other waits for it and loads the result."
import subprocess, sys, textwrap, os
from pathlib import Path

SCRIPT = textwrap.dedent('''
    import sys, time, torch
    from pathlib import Path
    from torch import nn
    from transformers import PretrainedConfig, PreTrainedModel
    from personacap.core import History
    from personacap.text import train_tokenizer
    from personacap.captioning import cached_run, CaptionRun

    class Cfg(PretrainedConfig):
        model_type = "lock_toy"
        def __init__(self, n=3, **kw): self.n = n; super().__init__(**kw)
    class Toy(PreTrainedModel):
        config_class, main_input_name = Cfg, "features"
        def __init__(self, config): super().__init__(config); self.w = nn.Parameter(torch.zeros(config.n)); self.post_init()
        def _init_weights(self, m): pass

    root, log = Path(sys.argv[1]), Path(sys.argv[2])
    def train():
        with open(log, "a") as f: f.write("trained\\n")
        time.sleep(3)                                   # long enough for the other process to arrive
        m = Toy(Cfg()); m.w.data.fill_(7.0)
        return CaptionRun(m, train_tokenizer(["a b c"]), History(), "toy")
    run = cached_run(train, ["same key"], "lock", root=root, model_class=Toy)
    print(float(run.model.w.sum()))
''')

def test_two_processes_train_one_run(tmp_path):
    script = tmp_path/"cache_race.py"; script.write_text(SCRIPT)
    log = tmp_path/"trainings.log"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PERSONACAP_PRESET": "tiny"}
    procs = [subprocess.Popen([sys.executable, str(script), str(tmp_path/"cache"), str(log)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs): assert p.returncode == 0, err[-2000:]
    assert [o.strip().splitlines()[-1] for o, _ in outs] == ["21.0", "21.0"]
    assert log.read_text().splitlines() == ["trained"]                   # trained once, loaded once
    assert not list((tmp_path/"cache"/"lock").glob("*.lock"))            # no lock left behind

def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    from personacap.captioning import _TrainingLock
    folder = tmp_path/"kind"/"key"; folder.parent.mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    (folder.parent/"key.lock").write_text(dead)
    with _TrainingLock(folder, poll=0.1) as lock: assert lock.path.read_text() == str(os.getpid())
    assert not (folder.parent/"key.lock").exists()
