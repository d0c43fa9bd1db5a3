"""Entry point of the ``glassnet`` command: one subcommand per file in this folder."""

from __future__ import annotations

import argparse
import sys

from glassnet.cli import data, evaluate, explain, predict, sample, train
from glassnet.cli.errors import CommandError

COMMANDS = {
    "train": (train, "train a model and write a run folder (default: MNIST MLP 784-128-10)"),
    "evaluate": (evaluate, "test accuracy and confusion matrix of a run"),
    "predict": (predict, "classify a digit image with a trained MNIST run"),
    "data": (data, "fetch and verify datasets"),
    "explain": (explain, "the backprop ledger of a small network given in a JSON/YAML file"),
    "sample": (sample, "generate text with a character language model run (--model charlm)"),
}


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line on stderr (and exit 2) instead of the whole
    usage block followed by the error: the message names the option and the value."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(prog="glassnet", description="glassnet: a glass-box "
                                "deep-learning library on NumPy")
    sub = parser.add_subparsers(dest="command", required=True,
                                parser_class=OneLineErrorParser)
    for name, (module, help_text) in COMMANDS.items():
        module.add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command][0].run(args)
    except CommandError as e:
        print(f"glassnet {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"glassnet {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
