"""``python -m glassnet.data fetch mnist``: fetch datasets into the cache (what the
``glassnet data fetch`` command runs)."""

import sys

from glassnet.data.fetch import main

if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0] != "fetch":
        print("usage: python -m glassnet.data fetch [--root DIR] DATASET...", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(args[1:]))
