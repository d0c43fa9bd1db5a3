"""Errors the command reports as one clear line and a non-zero exit, without a traceback."""


class CommandError(Exception):
    """A user-facing failure: bad option, unreadable file, failed download, NaN loss."""
