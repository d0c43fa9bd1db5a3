"""The memo of argument checks (glassnet.ops._util.CheckedArguments) that conv and pooling
use so that a layer's unchanging arguments are checked once, not every step."""

from __future__ import annotations

import numpy as np

from glassnet.ops._util import CheckedArguments


def test_keys_of_plain_values_tell_types_apart():
    memo = CheckedArguments()
    assert memo.key(1, (2, 3), "same", None) is not None
    assert memo.key(1) != memo.key(True)  # equal and hashed alike, but a bool is no int
    assert memo.key(np.dtype(np.float32)) != memo.key(np.dtype(np.float64))


def test_values_that_are_not_plain_have_no_key():
    memo = CheckedArguments()
    for value in ([1, 2], np.int64(1), 1.0, (1, np.int64(2)), (1, True), object()):
        assert memo.key(value) is None, value
    assert memo.store(None, "result") == "result" and memo.results == {}


def test_the_memo_forgets_everything_past_its_limit():
    memo = CheckedArguments(limit=3)
    for i in range(3):
        memo.store(memo.key(i), i)
    assert len(memo.results) == 3
    memo.store(memo.key(99), 99)
    assert memo.results == {memo.key(99): 99}
