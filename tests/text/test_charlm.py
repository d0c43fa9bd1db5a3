"""The character language model: truncated-BPTT training, perplexity checked against
PyTorch, sampling, and the ``glassnet train --model charlm`` / ``glassnet sample`` commands
with their bad-input errors."""

import json
import math

import numpy as np
import pytest

import glassnet as gn
from glassnet import optim
from glassnet.cli.main import main
from glassnet.data import DataLoader
from glassnet.data.text import CharVocab
from glassnet.text import CharLM, CharLMTrainer, TextStream, evaluate, sample

TEXT = ("the cat sat on the mat. the dog sat on the log. a cat and a dog met on a mat; "
        "the cat ran, the dog sat. ") * 40


def small_model(vocab, seed=0, layers=1):
    gn.manual_seed(seed)
    return CharLM(len(vocab), embedding_dim=8, hidden_size=24, num_layers=layers)


def test_text_stream_lays_out_columns_and_shifted_targets():
    ids = np.arange(23)
    stream = TextStream(ids, batch_size=4, seq_len=2)  # 5 rows of 4 columns, 3 dropped
    x, y = stream[0]
    np.testing.assert_array_equal(x, [[0, 5, 10, 15], [1, 6, 11, 16]])
    np.testing.assert_array_equal(y, [[1, 6, 11, 16], [2, 7, 12, 17]])
    assert len(stream) == 2 and stream[1][0].shape == (2, 4)  # rows 2-3 predict 3-4
    assert stream.num_targets == 16
    with pytest.raises(ValueError, match="need at least 8 characters"):
        TextStream(np.arange(7), batch_size=4, seq_len=2)


def test_truncated_bptt_training_lowers_the_loss():
    vocab = CharVocab(TEXT)
    ids = vocab.encode(TEXT)
    model = small_model(vocab)
    before = evaluate(model, ids, batch_size=8, seq_len=20)["loss"]
    assert abs(before - math.log(len(vocab))) < 0.3  # an untrained model guesses ~uniformly
    trainer = CharLMTrainer(model, optim.Adam(model.parameters(), lr=0.01), clip=1.0)
    history = trainer.fit(DataLoader(TextStream(ids, 8, 20)), epochs=2, verbose=False)
    after = evaluate(model, ids, batch_size=8, seq_len=20)["loss"]
    assert history.history["loss"][1] < history.history["loss"][0]
    assert after < 0.6 * before, (before, after)


def test_perplexity_is_exp_of_mean_cross_entropy_computed_by_torch():
    import torch  # a test dependency (torch==2.13.0): never skipped
    vocab = CharVocab(TEXT[:400])
    ids = vocab.encode(TEXT[:400])
    model = small_model(vocab, layers=2)
    n, seq_len = 6, 7  # 66 rows: chunks of 7 and a last one of 2, state carried between
    found = evaluate(model, ids, batch_size=n, seq_len=seq_len)

    state = {k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()}
    emb = torch.nn.Embedding(len(vocab), 8)
    lstm = torch.nn.LSTM(8, 24, num_layers=2)
    dec = torch.nn.Linear(24, len(vocab))
    for prefix, module in (("embedding.", emb), ("lstm.", lstm), ("decoder.", dec)):
        module.load_state_dict({k[len(prefix):]: v for k, v in state.items()
                                if k.startswith(prefix)})
    rows = len(ids) // n
    columns = torch.tensor(ids[:rows * n].reshape(n, rows).T)  # (rows, N): whole sequences
    with torch.no_grad():
        logits = dec(lstm(emb(columns[:-1]))[0])  # one pass over each column, no chunks
        ce = torch.nn.functional.cross_entropy(logits.reshape(-1, len(vocab)),
                                               columns[1:].reshape(-1))
    assert found["characters"] == (rows - 1) * n
    assert found["loss"] == pytest.approx(float(ce), rel=1e-5)
    assert found["perplexity"] == pytest.approx(math.exp(float(ce)), rel=1e-5)


def test_sampling_is_reproducible_and_emits_only_vocabulary_characters():
    vocab = CharVocab(TEXT)
    model = small_model(vocab)
    a = sample(model, vocab, "the ", length=120, temperature=1.0, seed=7)
    b = sample(model, vocab, "the ", length=120, temperature=1.0, seed=7)
    c = sample(model, vocab, "the ", length=120, temperature=1.0, seed=8)
    assert a == b and a != c
    assert len(a) == 120 and set(a) <= set(vocab.itos)


def test_a_tiny_temperature_samples_the_greedy_continuation():
    vocab = CharVocab(TEXT)
    model = small_model(vocab)
    got = sample(model, vocab, "the c", length=15, temperature=1e-4, seed=0)
    # Independently: re-read the whole text so far at every step (no carried state).
    ids = list(vocab.encode("the c"))
    with gn.no_grad():
        for _ in range(15):
            logits = model(np.array(ids)[:, None])[0].numpy()[-1, 0]
            ids.append(int(np.argmax(logits)))
    assert got == vocab.decode(ids[5:])


@pytest.mark.parametrize("temperature", [0, -0.5, float("nan"), float("inf"), True])
def test_temperature_must_be_a_finite_positive_number(temperature):
    vocab = CharVocab(TEXT)
    with pytest.raises(ValueError, match="temperature must be a finite number > 0, got"):
        sample(small_model(vocab), vocab, "the", temperature=temperature)


def test_prompt_characters_outside_the_vocabulary_are_all_listed():
    vocab = CharVocab(TEXT)
    with pytest.raises(ValueError, match=r"'Q' \(U\+0051\), 'Z' \(U\+005A\)"):
        sample(small_model(vocab), vocab, "Zebra Q")


# ---------------------------------------------------------------------------- the CLI
@pytest.fixture(scope="module")
def charlm_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("charlm")
    path = folder / "tiny.txt"
    path.write_text(TEXT + "UNSEEN TAIL", encoding="utf-8")
    out = folder / "run"
    code = main(["train", "--model", "charlm", "--text", str(path), "--max-chars", "3000",
                 "--epochs", "1", "--hidden", "32", "--layers", "1", "--batch-size", "8",
                 "--seq-len", "25", "--quiet", "--out", str(out)])
    assert code == 0
    return out


def test_cli_train_writes_a_charlm_run_folder(charlm_run, capsys):
    names = {p.name for p in charlm_run.iterdir()}
    assert {"config.json", "model.safetensors", "checkpoint.safetensors", "metrics.json",
            "log.csv", "curves.png"} <= names
    config = json.loads((charlm_run / "config.json").read_text(encoding="utf-8"))
    assert config["model"] == "charlm" and config["max_chars"] == 3000
    assert config["vocab"] == sorted(set(TEXT[:3000]))  # the --max-chars prefix only
    metrics = json.loads((charlm_run / "metrics.json").read_text(encoding="utf-8"))
    assert sum(metrics["characters"].values()) <= 3000
    assert metrics["val_perplexity"] == pytest.approx(math.exp(metrics["val_loss"]))
    assert metrics["val_loss"] < math.log(len(config["vocab"]))  # it learned something
    header = (charlm_run / "log.csv").read_text().splitlines()[0]
    assert {"loss", "perplexity", "val_loss", "val_perplexity"} <= set(header.split(","))


def test_cli_sample_continues_the_prompt_reproducibly(charlm_run, capsys):
    capsys.readouterr()
    args = ["sample", str(charlm_run), "--prompt", "the ", "--length", "60", "--seed", "3"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    assert capsys.readouterr().out == first
    text = first[:-1]  # print's newline
    assert text.startswith("the ") and len(text) == 64
    assert set(text) <= set(TEXT[:3000])


def test_cli_resume_continues_a_run_with_its_settings(tmp_path, charlm_run):
    import shutil

    run = tmp_path / "resumed"
    shutil.copytree(charlm_run, run)
    config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    config["epochs"] = 2  # one more epoch than the checkpoint holds
    (run / "config.json").write_text(json.dumps(config), encoding="utf-8")
    assert main(["train", "--resume", str(run), "--quiet"]) == 0
    rows = (run / "log.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["1", "2"]



@pytest.mark.parametrize("key, value, message", [
    ("hidden", "abc", "hidden layer size 'abc' is not a positive integer"),
    ("hidden", [8, 8], "hidden must be one LSTM size"),
    ("clip", -1, "--clip must be a finite number > 0"),
    ("vocab", ["ab"], "vocab must be a list of distinct single characters"),
    ("val_fraction", 0.9, "val_fraction must be < 0.5, got 0.9"),
    ("optimizer", "--s", "argument --optimizer: invalid choice: '--s'"),
])
def test_cli_resume_with_a_bad_setting_is_one_clear_line(tmp_path, charlm_run, capsys, key,
                                                          value, message):
    import shutil

    run = tmp_path / "resumed"
    shutil.copytree(charlm_run, run)
    config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    (run / "config.json").write_text(json.dumps({**config, key: value}), encoding="utf-8")
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "config.json has a bad setting" in err and message in err and \
        err.count("\n") == 1, err
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before

def test_cli_bad_text_files_give_one_clear_line(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"whale\nsh\xefp ahoy")
    for path, message in ((empty, "is empty (0 bytes)"),
                          (bad, "byte 0xef at offset 8 (line 2, column 3)"),
                          (tmp_path / "missing.txt", "No such file")):
        code = main(["train", "--model", "charlm", "--text", str(path), "--quiet",
                     "--out", str(tmp_path / "never")])
        err = capsys.readouterr().err
        assert code == 1 and message in err and err.count("\n") == 1, err
    assert not (tmp_path / "never").exists()  # nothing written before the text is read


def test_cli_sample_bad_input(tmp_path, charlm_run, capsys):
    assert main(["sample", str(charlm_run), "--prompt", "Whale!"]) == 1
    err = capsys.readouterr().err
    assert "not in the model's vocabulary" in err and "'W' (U+0057)" in err
    assert "'!' (U+0021)" in err

    mlp_run = tmp_path / "mlp"
    mlp_run.mkdir()
    (mlp_run / "config.json").write_text(json.dumps({"model": "mlp", "dataset": "mnist"}))
    assert main(["sample", str(mlp_run)]) == 1
    assert "is not a character language-model run" in capsys.readouterr().err
    assert main(["sample", str(tmp_path)]) == 1
    assert "is not a glassnet run folder" in capsys.readouterr().err

    with pytest.raises(SystemExit) as exit_info:
        main(["sample", str(charlm_run), "--temperature", "0"])
    assert exit_info.value.code != 0
    assert "--temperature must be a finite number > 0, got '0'" in capsys.readouterr().err


# ----------------------------------------------------------------- reads, seeds, limits
def test_fit_and_evaluate_read_a_text_stream_whole_and_in_order():
    vocab = CharVocab(TEXT)
    ids = vocab.encode(TEXT)
    train, val = TextStream(ids[:3000], 4, 10), TextStream(ids[3000:3800], 4, 10)
    model = small_model(vocab)
    trainer = CharLMTrainer(model, optim.SGD(model.parameters(), lr=0.0), clip=None)
    steps = []
    trainer.train_step = (lambda step: lambda x, y: steps.append(x.shape) or step(x, y))(
        trainer.train_step)
    history = trainer.fit(train, 1, val, 32, True, [], False)  # Trainer.fit's positions
    # every chunk, one per step (Trainer's default loader would batch 32 shuffled chunks)
    assert len(steps) == len(train) and all(s[0] == 1 for s in steps)
    expected = evaluate(model, ids[3000:3800], batch_size=4, seq_len=10)["loss"]  # lr 0
    assert history.history["val_loss"][0] == pytest.approx(expected, rel=1e-6)
    assert trainer.evaluate(val)["loss"] == pytest.approx(expected, rel=1e-6)


def test_a_loader_that_batches_or_shuffles_the_chunks_is_refused():
    vocab = CharVocab(TEXT)
    stream = TextStream(vocab.encode(TEXT), 4, 10)
    model = small_model(vocab)
    trainer = CharLMTrainer(model, optim.SGD(model.parameters(), lr=0.1))
    for loader in (DataLoader(stream, batch_size=8), DataLoader(stream, shuffle=True)):
        with pytest.raises(ValueError, match="one at a time and in order"):
            trainer.fit(loader, verbose=False)


def test_sampling_without_a_seed_follows_manual_seed():
    vocab = CharVocab(TEXT)
    model = small_model(vocab)
    texts = []
    for _ in range(2):
        gn.manual_seed(1)
        texts.append(sample(model, vocab, "the ", 30))
    assert texts[0] == texts[1]


@pytest.mark.parametrize("temperature", [1e-300, 1e-308, 5e-324])
def test_temperatures_near_zero_stay_greedy(temperature):
    vocab = CharVocab(TEXT)
    model = small_model(vocab)
    greedy = sample(model, vocab, "the ", 20, temperature=1e-6, seed=0)
    assert sample(model, vocab, "the ", 20, temperature=temperature, seed=3) == greedy


def test_perplexity_of_a_nan_loss_is_nan():
    from glassnet.text.charlm import perplexity
    assert math.isnan(perplexity(float("nan")))
    assert perplexity(800.0) == math.inf and perplexity(0.0) == 1.0
