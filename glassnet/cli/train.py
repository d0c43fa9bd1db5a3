"""``glassnet train``: train a model and leave a run folder behind.

The folder holds ``model.safetensors`` (weights; the model's config in its metadata),
``checkpoint.safetensors`` (the last finished epoch, for resuming), ``config.json``,
``metrics.json``, ``log.csv`` and PNG plots: learning curves, and for MNIST a confusion matrix
and a grid of test digits with their predictions, for 2-D sets the decision boundary.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from glassnet.cli import datasets
from glassnet.cli.errors import CommandError
from glassnet.cli.options import (
    hidden_sizes,
    non_negative_float,
    positive_float,
    positive_int,
    seed,
)
from glassnet.io.safetensors import atomic_write

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
SCHEDULES = ("none", "onecycle", "cosine", "step")

# The documented default recipe (README, BENCHMARKS.md): the lectures' 784-128-10 ReLU MLP,
# SGD with Nesterov momentum and a one-cycle schedule, which reaches 98% MNIST test
# accuracy in a few seconds of training on a 2-core machine.
DEFAULTS = {"dataset": "mnist", "hidden": "128", "activation": "relu", "optimizer": "sgd",
            "lr": 0.1, "momentum": 0.9, "batch_size": 64, "epochs": 12, "schedule": "onecycle",
            "weight_decay": 0.0, "seed": 0}

# The CNN's documented recipe (README, BENCHMARKS.md): the same optimizer and schedule, a
# lower peak learning rate and 3 epochs, which pass 99% test accuracy on MNIST.
CNN_RECIPE = {"lr": 0.05, "epochs": 3}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d, c = DEFAULTS, CHARLM_RECIPE
    # The options of RECIPE_OPTIONS default to None, "not given": their defaults depend on
    # --model (fill_omitted_options), and a value the user typed is honoured even where it
    # equals some default.
    parser.add_argument("--model", choices=("mlp", "cnn", "charlm"), default="mlp",
                        help="mlp (784-hidden-10), cnn (the lectures' MNIST CNN: conv 32, "
                        "pool, conv 64, pool, 128, 10) or charlm (a character-level LSTM "
                        "language model of --text, default Moby-Dick)")
    parser.add_argument("--dataset", choices=datasets.DATASETS, default=d["dataset"])
    parser.add_argument("--hidden", type=hidden_sizes, default=None,
                        help=f"hidden layer sizes, comma-separated (default: {d['hidden']}; "
                        f"charlm: {c['hidden'][0]})")
    parser.add_argument("--activation", default=d["activation"],
                        choices=("relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu"))
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default=None,
                        help=f"(default: {d['optimizer']}; charlm: {c['optimizer']})")
    parser.add_argument("--lr", type=positive_float("--lr"), default=None,
                        help=f"(peak) learning rate (default: {d['lr']}; cnn: {CNN_RECIPE['lr']}; "
                        f"charlm: {c['lr']})")
    parser.add_argument("--momentum", type=non_negative_float("--momentum"), default=None,
                        help=f"SGD/RMSprop momentum (default: {d['momentum']}). Left out, the "
                        "onecycle schedule cycles it between 0.95 and 0.85 against the learning "
                        "rate; given, it is held constant")
    parser.add_argument("--weight-decay", type=non_negative_float("--weight-decay"),
                        default=None,
                        help=f"(default: {d['weight_decay']:g}; adamw: {ADAMW_WEIGHT_DECAY})")
    parser.add_argument("--schedule", choices=SCHEDULES, default=None,
                        help=f"learning-rate schedule, stepped per batch (default: "
                        f"{d['schedule']}; charlm: {c['schedule']})")
    parser.add_argument("--batch-size", type=positive_int("--batch-size"), default=None,
                        help=f"(default: {d['batch_size']}; charlm: {c['batch_size']} streams)")
    parser.add_argument("--epochs", type=positive_int("--epochs"), default=None,
                        help=f"(default: {d['epochs']}; cnn: {CNN_RECIPE['epochs']}; charlm: "
                        f"{c['epochs']})")
    parser.add_argument("--seed", type=seed("--seed"), default=d["seed"])
    parser.add_argument("--samples", type=positive_int("--samples"), default=1000,
                        help="points in a toy dataset")
    parser.add_argument("--out", default=None,
                        help="run folder (default: runs/<dataset>-<time>); must not exist")
    parser.add_argument("--data-root", default=None, help="where datasets are cached")
    parser.add_argument("--quiet", action="store_true", help="no per-batch progress")
    parser.add_argument("--resume", metavar="RUN", default=None,
                        help="continue an interrupted run from its last checkpoint, in its "
                        "folder and with its settings (other options are ignored)")
    add_charlm_arguments(parser)


# The options whose default depends on the model (or, for --weight-decay, the optimizer).
RECIPE_OPTIONS = ("hidden", "optimizer", "lr", "momentum", "weight_decay", "schedule",
                  "batch_size", "epochs")
# AdamW's decoupled weight decay is why one picks it: without --weight-decay it gets
# PyTorch's default for AdamW rather than the other optimizers' 0.
ADAMW_WEIGHT_DECAY = 1e-2


def model_defaults(model: str, optimizer: str | None = None) -> dict:
    """The defaults of RECIPE_OPTIONS for ``model``: the MLP's recipe (DEFAULTS), with the
    CNN's or the charlm's on top; ``optimizer`` picks the weight decay's."""
    recipe = {"cnn": CNN_RECIPE, "charlm": CHARLM_RECIPE}.get(model, {})
    defaults = {**DEFAULTS, "hidden": hidden_sizes(DEFAULTS["hidden"]), **recipe}
    if (optimizer or defaults["optimizer"]) == "adamw":
        defaults["weight_decay"] = ADAMW_WEIGHT_DECAY
    return defaults


def fill_omitted_options(args) -> None:
    """Give each option of a new run that the user left out its default for --model; what
    the user typed is kept. Also sets ``args.cycle_momentum`` (see cycles_momentum)."""
    defaults = model_defaults(args.model, args.optimizer)
    momentum_given = args.momentum is not None
    for key in RECIPE_OPTIONS:
        if getattr(args, key) is None:
            setattr(args, key, defaults[key])
    # A --momentum the user typed is the momentum they want: onecycle must not overwrite it
    # with its cycle. Left out, the cycle stays (the documented recipe depends on it).
    args.cycle_momentum = not (momentum_given and args.schedule == "onecycle"
                               and args.optimizer in ("sgd", "rmsprop"))


def new_run_folder(out: str | None, dataset: str) -> str:
    """A fresh folder: earlier runs are never overwritten. A folder named from the time is
    claimed by creating it (``mkdir`` fails if it exists), so two runs started in the same
    second never share one. ``--out`` names a folder to create, or an existing empty one."""
    try:
        if out is None:
            os.makedirs("runs", exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            for suffix in range(1, 10_000):
                out = os.path.join("runs", f"{dataset}-{stamp}" + (f"-{suffix}" if suffix > 1
                                                                     else ""))
                try:
                    os.mkdir(out)
                    return out
                except FileExistsError:
                    continue
            raise CommandError(f"train: could not find a free run folder name in 'runs' for "
                               f"{dataset}-{stamp}")
        if not out:
            raise CommandError("train: --out must name a folder, got ''")
        parent = os.path.dirname(os.path.abspath(out))
        os.makedirs(parent, exist_ok=True)
        try:
            os.mkdir(out)
        except FileExistsError:
            if not os.path.isdir(out) or os.listdir(out):
                raise CommandError(f"--out {out!r} already exists and is not empty; choose a "
                                   "new folder so that earlier runs stay intact") from None
        return out
    except OSError as e:
        raise CommandError(f"train: cannot make the run folder {out!r}: {e.strerror or e}") \
            from None


def write_json(path: str, value, **options) -> None:
    """``value`` as JSON in ``path``, written atomically (a reader or a kill sees the old
    file or the whole new one, as for the checkpoints)."""
    atomic_write(path, (json.dumps(value, indent=2, **options) + "\n").encode("utf-8"))


def make_optimizer(name: str, params, args):
    from glassnet import optim

    if name == "sgd":
        return optim.SGD(params, lr=args.lr, momentum=args.momentum,
                         nesterov=args.momentum > 0, weight_decay=args.weight_decay)
    if name == "adam":
        return optim.Adam(params, lr=args.lr, weight_decay=args.weight_decay)
    if name == "adamw":
        return optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=args.lr, momentum=args.momentum,
                             weight_decay=args.weight_decay)
    return optim.Adagrad(params, lr=args.lr, weight_decay=args.weight_decay)


def make_schedule(name: str, optimizer, args, steps_per_epoch: int):
    from glassnet.optim import lr_scheduler

    total = args.epochs * steps_per_epoch
    if name == "onecycle":
        return lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=total,
                                       cycle_momentum=cycles_momentum(args))
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=total)
    if name == "step":
        return lr_scheduler.StepLR(optimizer, step_size=max(1, total // 3), gamma=0.1)
    return None


def cycles_momentum(settings) -> bool:
    """Whether onecycle cycles the momentum against the learning rate: Adam's beta1 always,
    SGD's and RMSprop's momentum where there is one, unless the run holds it constant
    (``cycle_momentum`` false: the user gave --momentum; runs written before that choice
    existed lack the setting and cycled)."""
    if not getattr(settings, "cycle_momentum", True):
        return False
    return settings.optimizer in ("adam", "adamw") or (
        settings.optimizer in ("sgd", "rmsprop") and settings.momentum > 0)


# The settings a run folder's config.json records, so that --resume can rebuild the job.
SETTINGS = ("model", "dataset", "hidden", "activation", "optimizer", "lr", "momentum",
            "weight_decay", "schedule", "batch_size", "epochs", "seed", "samples")


# Settings a run may leave unset (null in config.json): they keep their option's default.
OPTIONAL_SETTINGS = ("max_chars",)


def resumed_settings(args):
    """``args`` with the interrupted run's own settings, and its checkpoint's path."""
    from glassnet.cli.runs import read_config

    config = read_config(args.resume)
    checkpoint = os.path.join(args.resume, "checkpoint.safetensors")
    if not os.path.isfile(checkpoint):
        raise CommandError(f"train --resume: {args.resume!r} has no checkpoint yet (the run "
                           "stopped before its first epoch ended); start it again instead")
    missing = [k for k in SETTINGS if k not in config]
    if missing:
        raise CommandError(f"train --resume: {args.resume}/config.json lacks {missing}")
    settings = {**checked_settings(config, args.resume),
                "cycle_momentum": recorded_cycle_momentum(config, args.resume)}
    return argparse.Namespace(**{**vars(args), **settings}), checkpoint


def checked_settings(config: dict, run: str, keys=SETTINGS,
                     prefix: str = "train --resume: ") -> dict:
    """config.json's settings ``keys`` parsed as the command line's options are, so that a
    value the command would refuse is refused here too, with the same message."""
    parser = argparse.ArgumentParser(prog="train", add_help=False, exit_on_error=False)
    add_arguments(parser)  # (the charlm options included)
    argv = []
    for key in keys:
        value = config[key]
        if value is None and key in OPTIONAL_SETTINGS:
            continue
        if isinstance(value, list):
            value = ",".join(map(str, value))
        argv.append(f"--{key.replace('_', '-')}={value}")  # '=': a value never reads as an option
    try:
        parsed = parser.parse_args(argv)
    except argparse.ArgumentError as e:
        raise CommandError(f"{prefix}{run}/config.json has a bad setting: {e}") from None
    return {key: getattr(parsed, key) for key in keys}


def recorded_cycle_momentum(config: dict, run: str) -> bool:
    """config.json's ``cycle_momentum``: written (false) only by runs that held a --momentum
    constant under onecycle; absent, the momentum cycled as it always did."""
    value = config.get("cycle_momentum", True)
    if not isinstance(value, bool):
        raise CommandError(f"train --resume: {run}/config.json has a bad setting: "
                           f"cycle_momentum must be true or false, got {value!r}")
    return value


def momentum_record(settings) -> dict:
    """What config.json records of a momentum held constant: nothing where it cycles, as
    before, so that the configs of the documented recipes stay as they were."""
    return {} if getattr(settings, "cycle_momentum", True) else {"cycle_momentum": False}


def run(args) -> int:
    import glassnet as gn
    from glassnet import io, models, nn, train
    from glassnet.data import DataLoader, TensorDataset

    if is_charlm_run(args):
        return run_charlm(args)
    checkpoint = None
    if args.resume is not None:
        args, checkpoint = resumed_settings(args)
    else:
        fill_omitted_options(args)
    if args.model == "cnn" and args.dataset != "mnist":
        raise CommandError(f"train: --model cnn takes images (--dataset mnist), not the 2-D "
                           f"points of {args.dataset!r}")
    gn.manual_seed(args.seed)
    try:
        x_train, y_train, x_test, y_test, info = datasets.load(
            args.dataset, args.seed, args.data_root, args.samples)
    except (OSError, ValueError, RuntimeError, MemoryError) as e:
        reason = str(e) or "out of memory"  # (a MemoryError often has no message)
        raise CommandError(f"train: could not load dataset {args.dataset!r}: {reason}") \
            from None
    config = {"in_features": info["in_features"], "out_features": info["classes"],
              **{k: getattr(args, k) for k in SETTINGS}, **momentum_record(args)}
    x_train = datasets.model_inputs(config, x_train)
    x_test = datasets.model_inputs(config, x_test)
    # The model before the run folder: a model too large to build leaves no folder behind
    # (a folder holding only config.json would block the same --out next time).
    model = build_model(lambda: models.build(config), model_summary(config))
    run_dir = args.resume if checkpoint else new_run_folder(args.out, args.dataset)
    if not checkpoint:
        write_json(os.path.join(run_dir, "config.json"), config)

    loss_fn = nn.CrossEntropyLoss()
    optimizer = make_optimizer(args.optimizer, model.parameters(), args)
    generator = np.random.default_rng(args.seed)
    loader = DataLoader(TensorDataset(gn.from_numpy(x_train), gn.from_numpy(y_train)),
                        batch_size=args.batch_size, shuffle=True, generator=generator)
    test_data = (gn.from_numpy(x_test), gn.from_numpy(y_test))
    schedule = make_schedule(args.schedule, optimizer, args, len(loader))
    callbacks = [train.TerminateOnNaN(verbose=False),
                 train.ModelCheckpoint(os.path.join(run_dir, "checkpoint.safetensors")),
                 train.CSVLogger(os.path.join(run_dir, "log.csv"), append=bool(checkpoint))]
    if schedule is not None:
        callbacks.insert(0, train.LearningRateScheduler(schedule, per="batch"))

    print(f"glassnet train: {args.dataset}, model {model_summary(config)}, "
          f"{sum(p.numel() for p in model.parameters()):,} parameters, run folder {run_dir}"
          + (f" (resuming from {checkpoint})" if checkpoint else ""))
    trainer = train.Trainer(model, loss_fn, optimizer, metrics=["accuracy"])
    history, train_seconds = fit_run(trainer, loader, test_data, callbacks, args.epochs,
                                     not args.quiet, checkpoint, run_dir)

    final = trainer.evaluate(test_data)
    io.save(model, os.path.join(run_dir, "model.safetensors"), metadata={"config": config})
    outputs = train.predict(model, x_test).data
    predicted = outputs.argmax(axis=1)
    report = {
        "dataset": args.dataset, "test_accuracy": final["accuracy"], "test_loss": final["loss"],
        "train_seconds": train_seconds, "epochs": len(history.epochs),
        "history": history.history, "config": config,
        "confusion_matrix": train.confusion_matrix(outputs, y_test, info["classes"]).tolist(),
    }
    write_json(os.path.join(run_dir, "metrics.json"), report)
    plots = write_plots(run_dir, args.dataset, history.history, outputs, predicted,
                        x_test, y_test, model)
    print(f"\ntest accuracy {final['accuracy']:.2%}  test loss {final['loss']:.4f}  "
          f"({train_seconds:.1f}s of training)")
    print(f"wrote {run_dir}/: model.safetensors, checkpoint.safetensors, metrics.json, "
          f"log.csv, {', '.join(os.path.basename(p) for p in plots)}")
    return 0


def fit_run(trainer, loader, val_data, callbacks, epochs: int, verbose: bool,
            checkpoint: str | None, run_dir: str):
    """Train (or resume) and return (history, training seconds); a failed resume or a run
    stopped by TerminateOnNaN becomes a one-line CommandError that says what was kept."""
    start = time.perf_counter()
    try:
        # NumPy's overflow warnings as a run diverges are noise here: TerminateOnNaN stops
        # it and the command reports the step and the culprit in one line
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            history = trainer.fit(loader, epochs=epochs, val_data=val_data,
                                  callbacks=callbacks, verbose=verbose,
                                  resume_from=checkpoint)
    except (ValueError, OSError) as e:
        if checkpoint is None:
            raise
        raise CommandError(f"train --resume: cannot resume from {checkpoint}: {e}") from None
    if history.stop_reason:
        kept = sorted(os.listdir(run_dir))
        raise CommandError(f"train: stopped: {history.stop_reason}. Files already in "
                           f"{run_dir} are kept: {', '.join(kept)}")
    return history, time.perf_counter() - start


def build_model(build, summary: str):
    """``build()``, with a model too large for memory (or for NumPy's array sizes) as a
    one-line error."""
    try:
        return build()
    except MemoryError:
        raise CommandError(f"train: a model of {summary} does not fit in memory") from None
    except (ValueError, OverflowError) as e:  # e.g. "Maximum allowed dimension exceeded"
        raise CommandError(f"train: a model of {summary} cannot be built: {e}") from None


def model_summary(config: dict) -> str:
    if config.get("model") == "cnn":
        return f"CNN conv32-pool-conv64-pool-128-10 ({config['activation']})"
    sizes = [config["in_features"], *config["hidden"], config["out_features"]]
    return "-".join(map(str, sizes)) + f" ({config['activation']})"


def write_plots(run_dir, dataset, history, outputs, predicted, x_test, y_test, model) -> list:
    try:
        from glassnet import viz
    except ImportError:
        return []
    try:
        plots = [viz.plot_curves(history, os.path.join(run_dir, "curves.png"),
                                 title=f"{dataset}: loss and accuracy")]
        if dataset == "mnist":
            from glassnet import train

            matrix = train.confusion_matrix(outputs, y_test, 10)
            plots.append(viz.plot_confusion_matrix(
                matrix, os.path.join(run_dir, "confusion_matrix.png")))
            wrong = np.flatnonzero(predicted != y_test)[:8]
            right = np.flatnonzero(predicted == y_test)[:32 - len(wrong)]
            pick = np.sort(np.concatenate([right, wrong]))
            plots.append(viz.plot_digit_predictions(
                x_test[pick], predicted[pick], y_test[pick],
                os.path.join(run_dir, "predictions.png")))
            if x_test.ndim == 4:  # a CNN: its filters and one digit's feature maps
                plots.append(viz.plot_filters(model[0].weight.data,
                                              os.path.join(run_dir, "filters.png")))
                plots.append(viz.plot_feature_maps(
                    x_test[0], conv_feature_maps(model, x_test[:1]),
                    os.path.join(run_dir, "feature_maps.png")))
        else:
            from glassnet import train

            plots.append(viz.plot_decision_boundary(
                lambda pts: train.predict(model, pts).data, x_test, y_test,
                os.path.join(run_dir, "decision_boundary.png"),
                title=f"{dataset}: decision boundary (test points)"))
    except ImportError as e:
        print(f"(plots skipped: {e})")
        return []
    return plots


def conv_feature_maps(model, x: np.ndarray) -> dict:
    """Each convolution layer's output (after its activation) for one image: name -> (C, H, W)."""
    import glassnet as gn
    from glassnet import nn

    maps, h = {}, gn.from_numpy(x)
    layers = list(model)
    with gn.no_grad():
        for i, layer in enumerate(layers):
            h = layer(h)
            follows_conv = i > 0 and isinstance(layers[i - 1], nn.Conv2d)
            if follows_conv:
                maps[f"conv{len(maps) + 1}"] = h.data[0]
    return maps


# ------------------------------------------------------------------ --model charlm
# A character-level LSTM language model (glassnet.text.charlm) trained with truncated BPTT
# on --text (default: Moby-Dick). Kept apart from the classifier path above: run() hands
# over to run_charlm() before it loads any dataset.

# The documented charlm recipe (README, BENCHMARKS.md), applied where the user left the
# classifier's defaults in place: a 2-layer LSTM of 256 units over 64-d character vectors,
# Adam at 2e-3, 32 streams of 100 characters per update, gradient norm clipped to 5. On
# Moby-Dick (1.15M training characters) one epoch is 361 updates of ~166 ms on an idle
# 2-core machine (~1 minute); validation perplexity 6.13, 5.12, 4.73 after epochs 1-3
# (a uniform guess over the 89 characters is 89).
CHARLM_RECIPE = {"hidden": [256], "lr": 2e-3, "optimizer": "adam", "batch_size": 32,
                 "epochs": 3, "schedule": "none"}
CHARLM_SETTINGS = ("model", "text", "max_chars", "val_fraction", "embedding_dim", "hidden",
                   "layers", "seq_len", "batch_size", "optimizer", "lr", "momentum",
                   "weight_decay", "schedule", "clip", "epochs", "seed", "vocab")


def add_charlm_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("--model charlm (character-level LSTM language model)")
    group.add_argument("--text", default=None, metavar="FILE",
                       help="UTF-8 text to model (default: Moby-Dick, fetched and verified)")
    group.add_argument("--max-chars", type=positive_int("--max-chars"), default=None,
                       help="use only the first N characters of the text (quick runs)")
    group.add_argument("--val-fraction", type=positive_float("--val-fraction"), default=0.05,
                       help="the last fraction of the text held out for validation")
    group.add_argument("--seq-len", type=positive_int("--seq-len"), default=100,
                       help="characters per truncated-BPTT chunk")
    group.add_argument("--layers", type=positive_int("--layers"), default=2,
                       help="stacked LSTM layers (--hidden gives their size, default 256)")
    group.add_argument("--embedding-dim", type=positive_int("--embedding-dim"), default=64)
    group.add_argument("--clip", type=positive_float("--clip"), default=5.0,
                       help="clip the gradient's total norm to this (clip_grad_norm_)")


def is_charlm_run(args) -> bool:
    """--model charlm, or --resume of a run whose config.json says charlm."""
    if args.resume is None:
        return args.model == "charlm"
    from glassnet.cli.runs import read_config

    return read_config(args.resume).get("model") == "charlm"


def charlm_new_config(args) -> dict:
    """The config of a new charlm run from the options (the recipe where they were left
    out); the vocabulary is added once the text is read."""
    fill_omitted_options(args)
    if len(args.hidden) != 1:
        raise CommandError(f"train --model charlm: --hidden is the LSTM's size, one number "
                           f"(all --layers have it), got {args.hidden}")
    if not args.val_fraction < 0.5:
        raise CommandError(f"train --model charlm: --val-fraction must be < 0.5, got "
                           f"{args.val_fraction}")
    config = {k: getattr(args, k) for k in CHARLM_SETTINGS if k not in ("hidden", "vocab")}
    config["hidden"] = args.hidden[0]
    config["text"] = None if args.text is None else os.path.abspath(args.text)
    config.update(momentum_record(args))
    return config


def charlm_resumed_config(args) -> tuple[dict, str]:
    from glassnet.cli.runs import read_config

    config = read_config(args.resume)
    missing = [k for k in CHARLM_SETTINGS if k not in config]
    if missing:
        raise CommandError(f"train --resume: {args.resume}/config.json lacks {missing}")
    checkpoint = os.path.join(args.resume, "checkpoint.safetensors")
    if not os.path.isfile(checkpoint):
        raise CommandError(f"train --resume: {args.resume!r} has no checkpoint yet (the run "
                           "stopped before its first epoch ended); start it again instead")
    options = [k for k in CHARLM_SETTINGS if k not in ("model", "text", "vocab")]
    checked = checked_settings(config, args.resume, options)
    if len(checked["hidden"]) != 1:
        raise CommandError(f"train --resume: {args.resume}/config.json has a bad setting: "
                           f"hidden must be one LSTM size, got {config['hidden']!r}")
    checked["hidden"] = checked["hidden"][0]
    recorded_cycle_momentum(config, args.resume)  # (checked; the config keeps it as it is)
    if not checked["val_fraction"] < 0.5:  # as a new run refuses it
        raise CommandError(f"train --resume: {args.resume}/config.json has a bad setting: "
                           f"val_fraction must be < 0.5, got {checked['val_fraction']}")
    vocab, text = config["vocab"], config["text"]
    if not (isinstance(vocab, list) and vocab and len(set(vocab)) == len(vocab)
            and all(isinstance(ch, str) and len(ch) == 1 for ch in vocab)):
        raise CommandError(f"train --resume: {args.resume}/config.json has a bad setting: "
                           "vocab must be a list of distinct single characters")
    if text is not None and not isinstance(text, str):
        raise CommandError(f"train --resume: {args.resume}/config.json has a bad setting: "
                           f"text must be a path or null, got {text!r}")
    return {**config, **checked}, checkpoint


def charlm_text(path: str | None, max_chars: int | None, data_root: str | None) -> str:
    """The text to model: --text (UTF-8, clear errors) or the verified Moby-Dick corpus."""
    from glassnet.data.fetch import DataFetchError
    from glassnet.data.text import fetch_corpus, read_text

    try:
        if path is None:
            path = fetch_corpus("moby-dick", data_root)
        text = read_text(path)
    except DataFetchError as e:
        raise CommandError(f"train --model charlm: {e}") from None
    except (OSError, ValueError) as e:  # missing, empty, not UTF-8 (offset, line, column)
        raise CommandError(f"train --model charlm: cannot use --text {str(path)!r}: "
                           f"{e}") from None
    return text[:max_chars]


def run_charlm(args) -> int:
    import glassnet as gn
    from glassnet import io, train
    from glassnet.data import DataLoader
    from glassnet.data.text import CharVocab
    from glassnet.text import charlm

    checkpoint = None
    if args.resume is not None:
        config, checkpoint = charlm_resumed_config(args)
    else:
        config = charlm_new_config(args)
    text = charlm_text(config["text"], config["max_chars"], args.data_root)
    if checkpoint:
        vocab = CharVocab.from_chars(config["vocab"])
        unknown = sorted(set(text) - set(vocab.itos))
        if unknown:
            raise CommandError(f"train --resume: the text now holds characters the run's "
                               f"vocabulary lacks ({unknown[:10]}); was the file changed?")
    else:
        vocab = CharVocab(text)
        config["vocab"] = vocab.itos
    train_text, val_text = charlm.split_text(text, config["val_fraction"])
    n = config["batch_size"]
    if len(train_text) < 2 * n:
        raise CommandError(f"train --model charlm: the text is too short: {len(text)} "
                           f"characters leave {len(train_text)} for training, fewer than 2 "
                           f"per stream of --batch-size {n}; use a longer text or a smaller "
                           "--batch-size")
    train_stream = charlm.TextStream(vocab.encode(train_text), n, config["seq_len"])
    val_stream = charlm.TextStream(vocab.encode(val_text), min(n, len(val_text) // 2),
                                   config["seq_len"])
    gn.manual_seed(config["seed"])
    # The model before the run folder, as for the classifiers (see run).
    model = build_model(lambda: charlm.CharLM(len(vocab), config["embedding_dim"],
                                              config["hidden"], config["layers"]),
                        f"Embedding({len(vocab)}, {config['embedding_dim']}) -> "
                        f"LSTM({config['hidden']}) x {config['layers']}")
    run_dir = args.resume if checkpoint else new_run_folder(args.out, "charlm")
    if not checkpoint:
        write_json(os.path.join(run_dir, "config.json"), config, ensure_ascii=False)

    settings = argparse.Namespace(**config)
    optimizer = make_optimizer(config["optimizer"], model.parameters(), settings)
    loader = DataLoader(train_stream, batch_size=1)  # chunks in order: the state carries
    schedule = make_schedule(config["schedule"], optimizer, settings, len(loader))
    prompt = val_text[:8]
    sampler = charlm.PrintSample(vocab, prompt, length=200, temperature=0.8,
                                 seed=config["seed"])
    callbacks = [charlm.Perplexity(report=True), train.TerminateOnNaN(verbose=False),
                 train.ModelCheckpoint(os.path.join(run_dir, "checkpoint.safetensors")),
                 train.CSVLogger(os.path.join(run_dir, "log.csv"), append=bool(checkpoint)),
                 sampler]
    if schedule is not None:
        callbacks.insert(0, train.LearningRateScheduler(schedule, per="batch"))

    source = config["text"] or "Moby-Dick"
    print(f"glassnet train: charlm on {source}: {len(text):,} characters ({len(vocab)} "
          f"distinct), {train_stream.num_targets:,} for training, "
          f"{val_stream.num_targets:,} for validation; model Embedding({len(vocab)}, "
          f"{config['embedding_dim']}) -> LSTM({config['hidden']}) x {config['layers']} -> "
          f"Linear({len(vocab)}), {sum(p.numel() for p in model.parameters()):,} parameters; "
          f"{len(loader)} updates per epoch; run folder {run_dir}"
          + (f" (resuming from {checkpoint})" if checkpoint else ""))
    trainer = charlm.CharLMTrainer(model, optimizer, clip=config["clip"])
    history, train_seconds = fit_run(trainer, loader, DataLoader(val_stream, batch_size=1),
                                     callbacks, config["epochs"], not args.quiet, checkpoint,
                                     run_dir)

    hist = history.history
    hist["perplexity"] = [charlm.perplexity(v) for v in hist.get("loss", [])]
    io.save(model, os.path.join(run_dir, "model.safetensors"), metadata={"config": config})
    final = trainer.evaluate(DataLoader(val_stream, batch_size=1))
    text_sample = sampler.last or prompt + charlm.sample(model, vocab, prompt, 200, 0.8,
                                                         seed=config["seed"])
    report = {
        "model": "charlm", "val_loss": final["loss"], "val_perplexity": final["perplexity"],
        "train_loss": hist["loss"][-1] if hist.get("loss") else None,
        "train_perplexity": hist["perplexity"][-1] if hist["perplexity"] else None,
        "train_seconds": train_seconds, "epochs": len(history.epochs),
        "characters": {"train": train_stream.num_targets, "val": val_stream.num_targets},
        "history": hist, "sample": text_sample, "config": config,
    }
    write_json(os.path.join(run_dir, "metrics.json"), report, ensure_ascii=False)
    plots = []
    try:
        from glassnet import viz

        plots.append(viz.plot_curves(hist, os.path.join(run_dir, "curves.png"),
                                     title="charlm: loss (nats per character)"))
    except ImportError as e:
        print(f"(plots skipped: {e})")
    print(f"\nvalidation loss {final['loss']:.4f} nats/char, perplexity "
          f"{final['perplexity']:.2f} ({train_seconds:.1f}s of training)")
    print(f"wrote {run_dir}/: config.json, model.safetensors, checkpoint.safetensors, "
          f"metrics.json, log.csv{''.join(', ' + os.path.basename(p) for p in plots)}")
    print(f"sample it: glassnet sample {run_dir} --prompt {prompt!r} --temperature 0.8")
    return 0
