"""``glassnet data fetch mnist``: download and verify a dataset into the cache."""

from __future__ import annotations

from glassnet.cli.errors import CommandError


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="data_command", required=True)
    fetch = sub.add_parser("fetch", help="download and verify a dataset")
    fetch.add_argument("name", choices=("mnist",))
    fetch.add_argument("--root", default=None, help="cache folder (default $GLASSNET_DATA "
                       "or ~/.cache/glassnet)")


def run(args) -> int:
    from glassnet.data import MNIST

    for train in (True, False):
        try:
            dataset = MNIST(args.root, train=train, download=True)
        except (OSError, ValueError, RuntimeError) as e:  # no network, a bad mirror, a disk
            raise CommandError(f"data fetch mnist: {e}") from None
        print(f"MNIST {'train' if train else 'test'}: {len(dataset)} images, verified by "
              "SHA-256")
    return 0
