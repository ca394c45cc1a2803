"`personacap train`: an interrupted training resumes to the same model, and the saved folder is complete or absent."
import pytest, torch
from transformers import GPT2Config, GPT2LMHeadModel
import personacap.cli as cli
from personacap.core import fit, TrainConfig
from personacap.captioning import CaptionRun, load_run
from personacap.text import train_tokenizer

def toy_loader(die_at=None):
    "A method whose training is one `fit` of a one-layer GPT-2 (with dropout), interrupted at loss call `die_at`."
    def load(p, progress):
        torch.manual_seed(0)
        model = GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=16, n_head=2, vocab_size=40, n_positions=16, resid_pdrop=0.3,
                                           bos_token_id=1, eos_token_id=2))
        tok = train_tokenizer(["a red circle", "a blue square"], vocab_size=40, kind="word")
        g = torch.Generator().manual_seed(1)
        data = [torch.randint(4, 40, (8,), generator=g) for _ in range(64)]
        calls = {"n": 0}
        def loss(m, b):
            calls["n"] += 1
            if calls["n"] == die_at: raise KeyboardInterrupt
            return m(input_ids=b, labels=b).loss
        h = fit(model, loss, data, TrainConfig(max_steps=20, batch_size=8, lr=1e-2, progress=False, desc="toy"), collate_fn=torch.stack)
        return cli.Captioner("toy", "toy", lambda ims: ["a toy caption"] * len(ims), CaptionRun(model, tok, h, "toy", {}))
    return load

@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setitem(cli.METHODS, "toy", "a toy method for tests")
    def use(die_at=None): monkeypatch.setitem(cli._LOADERS, "toy", toy_loader(die_at))
    return use

def test_train_resumes_after_an_interrupt(toy, tmp_path, capsys):
    toy(); whole = cli.train_method("toy", "tiny", tmp_path/"whole", progress=False)
    toy(die_at=13)
    with pytest.raises(KeyboardInterrupt): cli.train_method("toy", "tiny", tmp_path/"cut", progress=False)
    assert not (tmp_path/"cut").exists(), "nothing is saved before training ends"
    assert any((tmp_path/"cut.resume").rglob("last")), "the interrupt left a resume point"
    toy(); again = cli.train_method("toy", "tiny", tmp_path/"cut", progress=False)
    assert "resumed from" in capsys.readouterr().out
    a, b = load_run(tmp_path/"whole", GPT2LMHeadModel), load_run(tmp_path/"cut", GPT2LMHeadModel)
    assert a.history.loss == b.history.loss and len(b.history.loss) == 20
    for (n, p), (_, q) in zip(a.model.named_parameters(), b.model.named_parameters()): assert torch.equal(p, q), n
    assert not (tmp_path/"cut.resume").exists() and (tmp_path/"cut"/"model.safetensors").exists()
    assert whole["method"] == again["method"] == "toy"

def test_unknown_method(tmp_path):
    from personacap.core import ConfigError
    with pytest.raises(ConfigError, match="unknown method 'gpt-5'"): cli.train_method("gpt-5", "tiny", tmp_path/"x")
