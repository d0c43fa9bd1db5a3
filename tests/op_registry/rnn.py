"""Registry entries: the fused recurrent steps (rnn_tanh_cell, rnn_relu_cell, lstm_cell,
gru_cell), compared with PyTorch's ``torch.rnn_tanh_cell`` etc. (same gate order, same
argument order)."""

import numpy as np
import torch

from tests.op_registry.spec import Diff, OpInfo, Sample


def _cell(gates: int):
    def samples(rng):
        n = rng.standard_normal
        batch, n_in, hid = 3, 4, 5
        g = gates * hid

        def state():
            return Diff(n((batch, hid)))

        def hx():
            return (state(), state()) if gates == 4 else state()

        return [
            Sample((Diff(n((batch, n_in))), hx(), Diff(0.5 * n((g, n_in))),
                    Diff(0.5 * n((g, hid))), Diff(n((g,))), Diff(n((g,))))),
            Sample((Diff(n((batch, n_in))), hx(), Diff(0.5 * n((g, n_in))),
                    Diff(0.5 * n((g, hid)))), desc="no-bias"),
            Sample((Diff(n((1, 1))), (Diff(n((1, 1))), Diff(n((1, 1)))) if gates == 4
                    else Diff(n((1, 1))), Diff(n((gates, 1))), Diff(n((gates, 1))),
                    # positive biases keep a relu cell active (else every gradient is 0)
                    Diff(np.abs(n((gates,))) + 1), Diff(np.abs(n((gates,))) + 1)),
                   desc="size1"),
            Sample((Diff(n((n_in, batch)).T), hx(), Diff(0.5 * n((n_in, g)).T),
                    Diff(0.5 * n((hid, g)).T), Diff(n((g,))), Diff(n((g,)))),
                   desc="noncontig"),
        ]

    return samples


OPS = [
    OpInfo("rnn_tanh_cell", _cell(1), torch.rnn_tanh_cell),
    OpInfo("rnn_relu_cell", _cell(1), torch.rnn_relu_cell),
    OpInfo("lstm_cell", _cell(4), torch.lstm_cell),
    OpInfo("gru_cell", _cell(3), torch.gru_cell),
]
