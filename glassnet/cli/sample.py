"""``glassnet sample RUN``: text from a character language model trained with
``glassnet train --model charlm``, continuing a prompt."""

from __future__ import annotations

import os

from glassnet.cli.errors import CommandError
from glassnet.cli.options import positive_float, positive_int, seed
from glassnet.cli.runs import read_config


def add_arguments(parser) -> None:
    parser.add_argument("run", help="a run folder written by glassnet train --model charlm")
    parser.add_argument("--prompt", default=None,
                        help="text to continue (default: a newline, else the first character "
                        "of the vocabulary); every character must be in the run's vocabulary")
    parser.add_argument("--temperature", type=positive_float("--temperature"), default=0.8,
                        help="softmax temperature, > 0: lower is safer, higher is wilder")
    parser.add_argument("--length", type=positive_int("--length"), default=300,
                        help="characters to generate after the prompt")
    parser.add_argument("--seed", type=seed("--seed"), default=None,
                        help="random seed: the same seed gives the same text")


def load_charlm(run_dir: str):
    """(model, vocab, config) of a charlm run folder, with one-line errors."""
    from glassnet import io
    from glassnet.data.text import CharVocab
    from glassnet.text import CharLM

    config = read_config(run_dir)
    if config.get("model") != "charlm":
        raise CommandError(f"{run_dir!r} is not a character language-model run (its "
                           f"config.json has model {config.get('model', 'mlp')!r}); train "
                           "one with: glassnet train --model charlm")
    weights = os.path.join(run_dir, "model.safetensors")
    if not os.path.isfile(weights):
        raise CommandError(f"{run_dir!r} is not a finished run: {weights} is missing")
    try:
        vocab = CharVocab.from_chars(config["vocab"])
        model = CharLM(len(vocab), config["embedding_dim"], config["hidden"],
                       config["layers"])
        model.load_state_dict(io.load(weights))
    except (KeyError, TypeError, ValueError, OSError) as e:
        raise CommandError(f"could not load the model of run {run_dir!r}: {e}") from None
    model.eval()
    return model, vocab, config


def run(args) -> int:
    from glassnet.text import sample

    model, vocab, _ = load_charlm(args.run)
    prompt = args.prompt
    if prompt is None:
        prompt = "\n" if "\n" in vocab else vocab.itos[0]
    try:
        text = sample(model, vocab, prompt, args.length, args.temperature, seed=args.seed)
    except ValueError as e:
        raise CommandError(str(e)) from None
    print(prompt + text)
    return 0
