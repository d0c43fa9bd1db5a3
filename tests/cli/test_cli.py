"""The glassnet command: run folders, plots, evaluate/predict, and bad input that exits
non-zero with a clear message and leaves earlier files intact."""

import json
import subprocess
import sys

import numpy as np
import pytest

from glassnet.cli.main import main

PNG = b"\x89PNG\r\n\x1a\n"


def train_toy(tmp_path, name="run", *extra):
    out = tmp_path / name
    code = main(["train", "--dataset", "circles", "--hidden", "16", "--optimizer", "adam",
                 "--lr", "0.02", "--epochs", "15", "--batch-size", "32", "--quiet",
                 "--out", str(out), *extra])
    return code, out


def test_train_on_a_toy_set_writes_a_complete_run_folder(tmp_path, capsys):
    code, out = train_toy(tmp_path)
    assert code == 0
    names = {p.name for p in out.iterdir()}
    assert {"model.safetensors", "checkpoint.safetensors", "config.json", "metrics.json",
            "log.csv", "curves.png", "decision_boundary.png"} <= names
    for plot in ("curves.png", "decision_boundary.png"):
        assert (out / plot).read_bytes()[:8] == PNG
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"] > 0.9 and len(metrics["history"]["val_loss"]) == 15
    assert "test accuracy" in capsys.readouterr().out


def test_mnist_train_evaluate_predict(tmp_path, capsys):
    out = tmp_path / "mnist"
    assert main(["train", "--epochs", "1", "--quiet", "--out", str(out)]) == 0
    for plot in ("curves.png", "confusion_matrix.png", "predictions.png"):
        assert (out / plot).read_bytes()[:8] == PNG
    assert json.loads((out / "metrics.json").read_text())["test_accuracy"] > 0.93
    assert main(["evaluate", str(out)]) == 0
    assert "test accuracy" in capsys.readouterr().out

    from PIL import Image

    from glassnet.data import MNIST

    test = MNIST(train=False)
    # A large, inverted (black ink on white) rendering of a test digit: predict must
    # bring it back to MNIST's 28x28 white-on-black form.
    path = tmp_path / "digit.png"
    Image.fromarray(255 - test.data[0]).resize((120, 120)).save(path)
    capsys.readouterr()
    assert main(["predict", str(out), str(path)]) == 0
    assert f"Predicted: {int(test.targets[0])}" in capsys.readouterr().out


@pytest.mark.parametrize("args,message", [
    (["--hidden", "128,abc"], "hidden layer size 'abc' is not a positive integer"),
    (["--lr", "-1"], "--lr must be a finite number > 0, got '-1'"),
    (["--lr", "nan"], "--lr must be a finite number > 0, got 'nan'"),
    (["--epochs", "0"], "--epochs must be > 0"),
    (["--seed", "-1"], "--seed must be an integer in [0, 2**64 - 1], got '-1'"),
    (["--seed", "1.5"], "--seed must be an integer, got '1.5'"),
])
def test_bad_options_exit_non_zero_with_a_clear_message(args, message):
    result = subprocess.run([sys.executable, "-m", "glassnet", "train", *args],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr  # one line, no usage block


def test_an_existing_run_folder_is_never_overwritten(tmp_path, capsys):
    code, out = train_toy(tmp_path)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    code, _ = train_toy(tmp_path)
    assert code == 1
    assert "already exists and is not empty" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_loss_turning_nan_exits_non_zero_and_keeps_written_files(tmp_path, capsys):
    code, out = train_toy(tmp_path, "nan", "--optimizer", "sgd", "--lr", "1e30")
    assert code == 1
    err = capsys.readouterr().err
    assert "TerminateOnNaN: loss became nan at step" in err
    assert "config.json" in err and (out / "config.json").exists()
    assert not (out / "model.safetensors").exists()


def test_a_corrupt_model_file_is_reported_and_left_alone(tmp_path, capsys):
    code, out = train_toy(tmp_path)
    weights = out / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:60])
    assert main(["evaluate", str(out)]) == 1
    assert "is not a valid safetensors file" in capsys.readouterr().err
    assert len(weights.read_bytes()) == 60


def test_predict_refuses_a_file_that_is_not_an_image(tmp_path, capsys):
    out = tmp_path / "mnist"
    (out).mkdir()
    bogus = tmp_path / "notes.png"
    bogus.write_text("not an image")
    assert main(["train", "--epochs", "1", "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["predict", str(out), str(bogus)]) == 1
    assert "is not an image file" in capsys.readouterr().err



def test_an_image_claiming_billions_of_pixels_is_refused_without_decoding(tmp_path):
    import struct
    import zlib

    from glassnet.data.digits import load_digit_image

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    bomb = tmp_path / "bomb.png"  # a valid header for a 30000 x 30000 grey image, no pixels
    bomb.write_bytes(PNG + chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0))
                     + chunk(b"IEND", b""))
    with pytest.raises(ValueError, match=r"bomb.png is too large to read safely"):
        load_digit_image(bomb)

def test_digit_preparation_centres_and_scales_like_mnist():
    from glassnet.data.digits import prepare_digit

    canvas = np.ones((200, 100))  # white paper, a dark vertical bar off to one side
    canvas[20:180, 70:85] = 0.0
    digit = prepare_digit(canvas)
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    rows, cols = np.nonzero(digit > 0.5)
    assert rows.max() - rows.min() + 1 <= 21  # fits MNIST's 20-pixel box
    ys, xs = np.indices(digit.shape)
    assert abs((ys * digit).sum() / digit.sum() - 13.5) <= 1
    assert abs((xs * digit).sum() / digit.sum() - 13.5) <= 1
    with pytest.raises(ValueError, match="blank"):
        prepare_digit(np.ones((50, 50)))


def test_16_bit_rotated_and_transparent_digit_images_read_like_the_8_bit_upright_one(
        tmp_path):
    # 16-bit images were clipped at 255 (a 60000-paper, 15000-ink PNG read as blank), EXIF
    # orientation was ignored (a phone photo came out turned 90 degrees), and a grayscale
    # PNG's transparent value was not taken as paper.
    from PIL import Image

    from glassnet.data.digits import load_digit_image

    paper = np.full((60, 40), 255, np.uint8)
    paper[10:50, 25:30] = 0  # a dark bar right of centre
    Image.fromarray(paper).save(tmp_path / "plain.png")
    expected = load_digit_image(tmp_path / "plain.png")

    deep = np.where(paper == 255, 60000, 15000).astype(np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    np.testing.assert_allclose(load_digit_image(tmp_path / "deep.png"), expected, atol=0.02)

    turned = Image.fromarray(np.rot90(paper).copy())  # stored on its side, EXIF says turn
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to view
    turned.save(tmp_path / "turned.jpg", exif=exif, quality=100)
    np.testing.assert_allclose(load_digit_image(tmp_path / "turned.jpg"), expected, atol=0.1)

    clear = np.where(paper == 255, 7, 0).astype(np.uint8)  # value 7 marked transparent
    Image.fromarray(clear).save(tmp_path / "clear.png", transparency=7)
    np.testing.assert_allclose(load_digit_image(tmp_path / "clear.png"), expected, atol=0.02)
    # and at 16 bits: a transparent margin stored as 1 (black) must read as paper, not ink
    deep_clear = np.where(paper == 255, 65535, 0).astype(np.uint16)
    deep_clear[:, :6] = 1
    Image.fromarray(deep_clear).save(tmp_path / "deep_clear.png", transparency=1)
    np.testing.assert_allclose(load_digit_image(tmp_path / "deep_clear.png"), expected,
                               atol=0.02)


def test_a_killed_run_resumes_to_the_same_model_as_an_uninterrupted_one(tmp_path):
    import os
    import signal
    import time

    import glassnet as gn

    common = ["train", "--epochs", "3", "--quiet", "--hidden", "32"]
    reference = tmp_path / "reference"
    assert main([*common, "--out", str(reference)]) == 0

    killed = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-m", "glassnet", *common, "--out",
                                str(killed)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    checkpoint = killed / "checkpoint.safetensors"
    deadline = time.time() + 120
    while not checkpoint.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)  # during epoch 2, right after epoch 1's checkpoint
    assert process.wait() == -signal.SIGKILL, "the run finished before it could be killed"
    assert not (killed / "model.safetensors").exists()

    assert main(["train", "--resume", str(killed), "--quiet"]) == 0
    ours, theirs = gn.load(killed / "model.safetensors"), gn.load(reference / "model.safetensors")
    for key in theirs:
        np.testing.assert_array_equal(ours[key].data, theirs[key].data, err_msg=key)
    history = json.loads((killed / "metrics.json").read_text())["history"]
    assert history == json.loads((reference / "metrics.json").read_text())["history"]


def test_resume_of_a_folder_without_a_checkpoint_is_refused(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")
    assert main(["train", "--resume", str(run)]) == 1
    assert "has no checkpoint yet" in capsys.readouterr().err



def test_resume_with_a_bad_setting_or_damaged_checkpoint_says_so_and_keeps_the_files(
        tmp_path, capsys):
    from glassnet.io.safetensors import load_file, save_file

    code, run = train_toy(tmp_path, "run", "--epochs", "2")
    assert code == 0
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "hidden": "abc"}))
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "config.json has a bad setting" in err and "hidden layer size 'abc'" in err
    assert "Traceback" not in err
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before

    (run / "config.json").write_text(json.dumps(config))
    arrays, meta = load_file(run / "checkpoint.safetensors")
    info = json.loads(meta["glassnet"])
    del info["rng_state"]
    save_file(arrays, run / "checkpoint.safetensors", {**meta, "glassnet": json.dumps(info)})
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    assert main(["train", "--resume", str(run), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "cannot resume from" in err and "no valid 'rng_state'" in err
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before

def test_cnn_run_writes_filters_and_feature_maps_and_predicts(tmp_path, capsys):
    out = tmp_path / "cnn"
    assert main(["train", "--model", "cnn", "--epochs", "1", "--quiet", "--out", str(out)]) == 0
    for plot in ("filters.png", "feature_maps.png", "confusion_matrix.png", "predictions.png"):
        assert (out / plot).read_bytes()[:8] == PNG
    report = json.loads((out / "metrics.json").read_text())
    assert report["config"]["model"] == "cnn" and report["test_accuracy"] > 0.97
    assert main(["evaluate", str(out)]) == 0

    from PIL import Image

    from glassnet.data import MNIST

    test = MNIST(train=False)
    path = tmp_path / "digit.png"
    Image.fromarray(255 - test.data[1]).resize((64, 64)).save(path)
    capsys.readouterr()
    assert main(["predict", str(out), str(path)]) == 0
    assert f"Predicted: {int(test.targets[1])}" in capsys.readouterr().out


def test_cnn_needs_images(capsys):
    assert main(["train", "--model", "cnn", "--dataset", "xor", "--quiet"]) == 1
    assert "--model cnn takes images" in capsys.readouterr().err


def test_run_folders_that_cannot_be_made_are_one_line_errors(tmp_path, capsys):
    # --out '' and a path through a file raised FileNotFoundError / NotADirectoryError
    blocker = tmp_path / "a_file"
    blocker.write_text("keep me")
    for out, message in (("", "--out must name a folder"),
                         (str(blocker / "sub"), "cannot make the run folder")):
        code = main(["train", "--dataset", "circles", "--epochs", "1", "--quiet",
                     "--out", out])
        assert code == 1
        assert message in capsys.readouterr().err
    assert blocker.read_text() == "keep me"


def test_evaluate_and_predict_refuse_a_diverged_or_foreign_run_in_one_line(tmp_path, capsys):
    # NaN weights printed "probability nan%" and exited 0 (predict) or a traceback
    # (evaluate); a config.json that is not a run's gave tracebacks too.
    from glassnet.io.safetensors import load_file, save_file

    code, run = train_toy(tmp_path, "run", "--epochs", "1")
    assert code == 0
    capsys.readouterr()
    tensors, metadata = load_file(run / "model.safetensors")
    name = sorted(tensors)[0]
    tensors[name][...] = np.nan
    save_file(tensors, run / "model.safetensors", metadata)
    for command in (["evaluate", str(run)], ["predict", str(run), str(tmp_path / "d.png")]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert f"hold NaN or inf ({name}" in err and "Traceback" not in err

    config = run / "config.json"
    for text, message in (("[]", "must hold a JSON object of settings, got list"),
                          ('{"hidden": [16]}', "lacks the settings ['dataset', 'seed']")):
        config.write_text(text)
        assert main(["evaluate", str(run)]) == 1
        assert message in capsys.readouterr().err
