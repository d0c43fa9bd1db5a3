"""A character-level language model: Embedding -> LSTM -> Linear, trained with truncated
backpropagation through time, measured by perplexity, and sampled with a temperature.

    vocab = CharVocab(text)
    model = CharLM(len(vocab), hidden_size=256, num_layers=2)
    train = DataLoader(TextStream(vocab.encode(text), batch_size=32, seq_len=100))
    trainer = CharLMTrainer(model, optim.Adam(model.parameters(), lr=2e-3), clip=5.0)
    trainer.fit(train, epochs=3, callbacks=[Perplexity()])
    print(sample(model, vocab, "Call me", length=300, temperature=0.8, seed=0))

**The data layout** (as PyTorch's word_language_model example): the stream of T character
ids is cut into N equal columns, column j holding characters j*T/N ... (j+1)*T/N - 1, so a
(T/N, N) array whose row t holds N far-apart positions of the text. A batch is L
consecutive rows: input rows t..t+L-1, targets rows t+1..t+L (the next character).

**Truncated BPTT.** Batches are visited in order and the LSTM's final state (h, c) of one
batch is the initial state of the next, so column j is read as one long sequence, but the
state is *detached* between batches: gradients flow back at most L steps (the graph of
one batch is freed after its update), while the forward pass still remembers beyond L.

**Perplexity** is exp of the mean per-character cross-entropy (in nats),
PPL = exp(-1/M sum_m log p(x_m | x_<m)); a model that guesses uniformly among V characters
has PPL = V, a perfect one 1. It reads as "the model is as unsure as a uniform choice among
PPL characters".
"""

from __future__ import annotations

import math
import numbers
import sys
import time

import numpy as np

from glassnet import functional as F
from glassnet import nn
from glassnet.autograd.grad_mode import no_grad
from glassnet.data.dataset import Dataset
from glassnet.data.loader import DataLoader
from glassnet.optim.clip import clip_grad_norm_
from glassnet.random import default_generator
from glassnet.tensor import Tensor
from glassnet.train.callbacks import Callback
from glassnet.train.trainer import Trainer

__all__ = ["CharLM", "TextStream", "CharLMTrainer", "Perplexity", "PrintSample",
           "detach_state", "evaluate", "perplexity", "sample", "split_text"]


class CharLM(nn.Module):
    """Embedding(V, E) -> LSTM(E, H, num_layers) -> Linear(H, V): the logits of the next
    character at every position.

    Args:
        vocab_size: V, the number of distinct characters.
        embedding_dim: E, the length of each character's learned vector.
        hidden_size: H, the LSTM's state size.
        num_layers: stacked LSTM layers.
        dropout: dropout between LSTM layers (training only; needs num_layers > 1).

    Shape: input (L, N) int64 character ids (time first, as ``nn.LSTM``); state ``hx`` =
    (h, c), each (num_layers, N, H), zeros when None. Returns (logits (L, N, V), (h_n, c_n)).
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 64, hidden_size: int = 256,
                 num_layers: int = 1, dropout: float = 0.0):
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("embedding_dim", embedding_dim),
                            ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"CharLM: {name} must be an int >= 1, got {value!r}")
        self.vocab_size, self.embedding_dim = vocab_size, embedding_dim
        self.hidden_size, self.num_layers = hidden_size, num_layers
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.decoder = nn.Linear(hidden_size, vocab_size)

    def forward(self, input, hx=None):
        ids = input.data if isinstance(input, Tensor) else np.asarray(input)
        if ids.ndim != 2 or ids.dtype.kind not in "iu":
            raise ValueError(f"CharLM: input must be 2-D (L, N) integer character ids, got "
                             f"shape {ids.shape} of dtype {ids.dtype}")
        output, state = self.lstm(self.embedding(input), hx)  # (L, N, H)
        return self.decoder(output), state  # (L, N, V)

    def extra_repr(self) -> str:
        return (f"vocab_size={self.vocab_size}, embedding_dim={self.embedding_dim}, "
                f"hidden_size={self.hidden_size}, num_layers={self.num_layers}")


def detach_state(state):
    """(h, c) cut from the graph: the next batch starts from these values, but its
    backward stops here (the "truncated" of truncated BPTT)."""
    return None if state is None else tuple(s.detach() for s in state)


def perplexity(loss: float) -> float:
    """exp(loss), the perplexity of a mean cross-entropy in nats (inf past float range, NaN
    for a NaN loss: a diverged run is not "infinitely uncertain")."""
    if math.isnan(loss):
        return math.nan
    return math.exp(loss) if loss < 700 else math.inf


def split_text(text: str, val_fraction: float = 0.05) -> tuple[str, str]:
    """(train, validation): the validation slice is the last ``val_fraction`` of the text,
    so it is text the model never reads while training (not a shuffled sample of it)."""
    if not 0 < val_fraction < 1:
        raise ValueError(f"split_text: val_fraction must be in (0, 1), got {val_fraction!r}")
    cut = len(text) - max(2, int(round(len(text) * val_fraction)))
    return text[:cut], text[cut:]


class TextStream(Dataset):
    """A stream of ids laid out as ``batch_size`` parallel columns and cut into chunks of
    ``seq_len`` rows; item i is chunk i, (input, target), each (l, batch_size) int64, with
    target the input shifted by one character (l = seq_len, the last chunk possibly less).

    Chunks must be visited in order (``DataLoader(stream, batch_size=1)``, no shuffle) for
    the hidden state carried from chunk to chunk to be the state of the text before it. The
    last ``len(ids) % batch_size`` ids are dropped so the columns have equal length.
    """

    def __init__(self, ids, batch_size: int, seq_len: int):
        ids = np.asarray(ids)
        for name, value in (("batch_size", batch_size), ("seq_len", seq_len)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"TextStream: {name} must be an int >= 1, got {value!r}")
        if ids.ndim != 1 or ids.dtype.kind not in "iu":
            raise ValueError(f"TextStream: ids must be a 1-D integer array, got shape "
                             f"{ids.shape} of dtype {ids.dtype}")
        rows = len(ids) // batch_size
        if rows < 2:
            raise ValueError(f"TextStream: {len(ids)} characters make fewer than 2 rows of "
                             f"batch_size={batch_size} columns; need at least "
                             f"{2 * batch_size} characters (or a smaller batch_size)")
        # (rows, N): column j is the j-th contiguous piece of the text.
        self.data = np.ascontiguousarray(
            ids[:rows * batch_size].astype(np.int64).reshape(batch_size, rows).T)
        self.batch_size, self.seq_len = int(batch_size), int(seq_len)

    def __len__(self) -> int:
        return math.ceil((len(self.data) - 1) / self.seq_len)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if not 0 <= index < len(self):
            raise IndexError(f"TextStream: chunk {index} out of range ({len(self)} chunks)")
        start = index * self.seq_len
        stop = min(start + self.seq_len, len(self.data) - 1)
        return self.data[start:stop], self.data[start + 1:stop + 1]  # (l, N) each

    @property
    def num_targets(self) -> int:
        """The number of characters predicted in one pass: (rows - 1) * batch_size."""
        return (len(self.data) - 1) * self.batch_size


def _chunk_loss(model: CharLM, x, y, state, reduction: str = "mean"):
    """Cross-entropy of the model on one chunk x, y (l, N), starting from ``state``."""
    logits, state = model(x, state)  # (l, N, V)
    v = logits.shape[-1]
    target = y.data if isinstance(y, Tensor) else y
    loss = F.cross_entropy(logits.reshape(-1, v), Tensor(target.reshape(-1)),
                           reduction=reduction)
    return loss, state


def _loss_over_chunks(model: CharLM, chunks) -> tuple[float, int]:
    """(sum of per-character cross-entropies, number of characters) over chunks in order,
    carrying the state; in eval mode and without a graph."""
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    try:
        with no_grad():
            for x, y in chunks:
                loss, state = _chunk_loss(model, x, y, state, reduction="sum")
                total += float(loss.item())
                count += int(np.size(y.data if isinstance(y, Tensor) else y))
    finally:
        model.train(was_training)
    return total, count


def evaluate(model: CharLM, ids, batch_size: int = 32, seq_len: int = 100) -> dict:
    """Mean per-character cross-entropy (nats) of ``model`` on the id stream ``ids`` and its
    perplexity, read as ``TextStream(ids, batch_size, seq_len)`` with the state carried
    across chunks: {"loss", "perplexity", "characters"}."""
    stream = TextStream(ids, batch_size, seq_len)
    total, count = _loss_over_chunks(model, (stream[i] for i in range(len(stream))))
    loss = total / count
    return {"loss": loss, "perplexity": perplexity(loss), "characters": count}


class CharLMTrainer(Trainer):
    """``Trainer`` for ``CharLM`` with truncated BPTT: ``fit`` takes a ``TextStream`` (or a
    DataLoader over one with batch_size=1 and shuffle=False: the chunks must come one at a
    time, in order); each step continues from the previous chunk's detached state, clips
    the gradient norm to ``clip`` and updates. The state is reset to zeros at the start of
    every epoch. The logged ``batch_size`` of a step is its number of predicted characters,
    so the epoch's ``loss`` is the exact per-character mean.

    ``evaluate(stream)`` on a TextStream (or such a loader) returns {"loss", "perplexity"}
    (exact per-character mean over the whole stream, state carried), which ``fit`` logs as
    ``val_loss`` and ``val_perplexity``.
    """

    def __init__(self, model: CharLM, optimizer, clip: float | None = 5.0):
        super().__init__(model, nn.CrossEntropyLoss(), optimizer, metrics=())
        if clip is not None and (not isinstance(clip, numbers.Real) or not clip > 0):
            raise ValueError(f"CharLMTrainer: clip must be a number > 0 or None, got {clip!r}")
        self.clip = clip
        self.state = None

    def fit(self, train_data, epochs: int = 1, val_data=None, *args, **kwargs):
        """``Trainer.fit`` with the text read in order: a TextStream (training or
        validation) is wrapped in ``DataLoader(stream, batch_size=1, shuffle=False)``
        (Trainer's default loader would batch and shuffle its chunks)."""
        return super().fit(_in_order("fit", train_data), epochs,
                           None if val_data is None else _in_order("fit", val_data),
                           *args, **kwargs)

    def train_step(self, x: Tensor, y: Tensor) -> dict:
        if self.global_step == self.epoch_start_step:
            self.state = None  # a new pass over the text starts from zeros
        x, y = _one_chunk("CharLMTrainer.train_step", x, y)
        loss, state = _chunk_loss(self.model, x, y, self.state)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.clip is not None:
            clip_grad_norm_(self.model.parameters(), self.clip)
        self.optimizer.step()
        self.state = detach_state(state)
        return {"loss": loss.item(), "batch_size": int(y.size)}

    def evaluate(self, data, batch_size: int = 1024) -> dict:
        loader = _in_order("evaluate", data)
        chunks = (_one_chunk("CharLMTrainer.evaluate", x, y) for x, y in loader)
        total, count = _loss_over_chunks(self.model, chunks)
        loss = total / max(count, 1)
        return {"loss": loss, "perplexity": perplexity(loss)}


def _in_order(op: str, data):
    """A TextStream as a loader of its chunks one at a time, in order; a DataLoader over a
    TextStream must already be one."""
    if isinstance(data, TextStream):
        return DataLoader(data, batch_size=1, shuffle=False)
    if isinstance(data, DataLoader) and isinstance(data.dataset, TextStream) \
            and (data.batch_size != 1 or data.shuffle):
        raise ValueError(f"CharLMTrainer.{op}: the TextStream's chunks must be read one at a "
                         f"time and in order (the LSTM state carries from one to the next); "
                         f"got a DataLoader with batch_size={data.batch_size} and "
                         f"shuffle={data.shuffle}. Pass the TextStream itself, or "
                         f"DataLoader(stream, batch_size=1, shuffle=False)")
    return data


def _one_chunk(op: str, x, y) -> tuple[np.ndarray, np.ndarray]:
    """The (l, N) chunk of a batch of one from a TextStream loader."""
    x, y = (t.data if isinstance(t, Tensor) else np.asarray(t) for t in (x, y))
    if x.ndim != 3 or x.shape[0] != 1 or y.shape != x.shape:
        raise ValueError(f"{op}: expected one TextStream chunk per batch, inputs and targets "
                         f"of shape (1, seq_len, batch_size); got {x.shape} and {y.shape}")
    return x[0], y[0]


class Perplexity(Callback):
    """Adds ``perplexity`` = exp(loss) to each epoch's logs (for the callbacks after it:
    CSVLogger, the progress line); place it before them in ``callbacks``. With ``report``
    it prints one line per epoch: train and validation loss and perplexity, and time."""

    def __init__(self, report: bool = False, stream=None):
        self.report, self.stream = report, stream

    def on_epoch_begin(self, epoch, logs):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs):
        if "loss" in logs:
            logs["perplexity"] = perplexity(logs["loss"])
        if not self.report:
            return
        line = f"epoch {epoch + 1}/{self.trainer.epochs}:"
        for prefix, name in (("", "train"), ("val_", "validation")):
            if prefix + "loss" in logs:
                loss = logs[prefix + "loss"]
                line += f"  {name} loss {loss:.4f} perplexity {perplexity(loss):.2f}"
        seconds = time.perf_counter() - getattr(self, "_start", time.perf_counter())
        print(f"{line}  ({seconds:.1f}s)", file=self.stream or sys.stdout, flush=True)


class PrintSample(Callback):
    """Prints ``length`` characters sampled from the model after each epoch, from
    ``prompt``, with its own seeded generator (training's random state is not touched)."""

    def __init__(self, vocab, prompt: str, length: int = 200, temperature: float = 0.8,
                 seed: int = 0, stream=None):
        self.vocab, self.prompt, self.length = vocab, prompt, length
        self.temperature, self.seed, self.stream = temperature, seed, stream
        self.last: str | None = None

    def on_epoch_end(self, epoch, logs):
        text = sample(self.trainer.model, self.vocab, self.prompt, self.length,
                      self.temperature, seed=self.seed + epoch)
        self.last = self.prompt + text
        print(f"--- sample after epoch {epoch + 1} (temperature {self.temperature}) ---\n"
              f"{self.last}\n---", file=self.stream or sys.stdout, flush=True)


def _check_prompt(vocab, prompt: str) -> np.ndarray:
    if not isinstance(prompt, str) or not prompt:
        raise ValueError(f"sample: prompt must be a non-empty str, got {prompt!r}")
    unknown = sorted({c for c in prompt if c not in vocab})
    if unknown:
        listed = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in unknown)
        raise ValueError(f"sample: the prompt {prompt!r} has characters that are not in the "
                         f"model's vocabulary of {len(vocab)} characters: {listed}")
    return vocab.encode(prompt)


def sample(model: CharLM, vocab, prompt: str, length: int = 300, temperature: float = 1.0,
           seed: int | None = None) -> str:
    """``length`` characters that continue ``prompt``, drawn one at a time (not including
    the prompt).

    The prompt is read in one pass to set the LSTM's state; then each character is drawn
    from softmax(logits / temperature) and fed back. Temperature < 1 sharpens the
    distribution (safer, more repetitive text), > 1 flattens it (more surprising, more
    misspelt); as it nears 0 sampling becomes argmax.

    Raises:
        ValueError: temperature not a finite number > 0, length not an int >= 0, an empty
            prompt, or prompt characters not in ``vocab`` (all of them are listed).
    """
    if (isinstance(temperature, bool) or not isinstance(temperature, numbers.Real)
            or not math.isfinite(temperature) or temperature <= 0):
        raise ValueError(f"sample: temperature must be a finite number > 0, got "
                         f"{temperature!r}")
    if isinstance(length, bool) or not isinstance(length, numbers.Integral) or length < 0:
        raise ValueError(f"sample: length must be an int >= 0, got {length!r}")
    ids = _check_prompt(vocab, prompt)
    if model.vocab_size != len(vocab):
        raise ValueError(f"sample: the model predicts {model.vocab_size} characters but the "
                         f"vocabulary has {len(vocab)}")
    # seed=None draws from glassnet's generator, so manual_seed makes samples repeatable
    rng = default_generator() if seed is None else np.random.default_rng(seed)
    was_training = model.training
    model.eval()
    out = []
    try:
        with no_grad():
            logits, state = model(Tensor(ids[:, None]))  # (P, 1, V): read the prompt
            for _ in range(length):
                z = logits.data[-1, 0].astype(np.float64)
                # shifted first, so a tiny temperature gives -inf (probability 0), never
                # inf - inf = NaN: the largest logit stays at 0 and wins, argmax in the limit
                with np.errstate(over="ignore", divide="ignore"):
                    p = np.exp((z - z.max()) / temperature)
                cdf = np.cumsum(p)
                # Inverse-CDF draw; the min() guards the round-off at the top end.
                nxt = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")),
                          len(vocab) - 1)
                out.append(nxt)
                logits, state = model(Tensor(np.array([[nxt]], dtype=np.int64)), state)
    finally:
        model.train(was_training)
    return vocab.decode(np.array(out, dtype=np.int64))
