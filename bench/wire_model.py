"""The word-bigram model of wire-dev that ``synthetic`` draws new articles from.

Sentences come from a word-bigram model of the wire-dev texts (its vocabulary, its local word
order, its sentence lengths); article shapes, page furniture and stock sentences are taken
from wire-dev as they are.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
Line = list[str]  # the sentences of one line
Para = list[Line]
Body = list[Para]

_FINAL = re.compile(r"[.!?][\"'\u201d\u2019)\]]*$")
_SENTENCE = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c(]?[A-Z0-9])")
_NAME = re.compile(r"(?:The )?[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}")
_READ_ON = re.compile(r"^((?:also read|read more|read also|more)\s*[:|\u2014-]\s*)", re.I)


class _Sampler:
    """Successors drawn by frequency, vectorised over many current states: every observed
    transition is kept once per occurrence, grouped by state, so a draw is one index."""

    def __init__(self, pairs: Counter[tuple[int, int]], states: int) -> None:
        items = sorted(pairs.items())
        src = np.array([s for (s, _), _ in items], dtype=np.int64)
        dst = np.array([t for (_, t), _ in items], dtype=np.int64)
        counts = np.array([c for _, c in items], dtype=np.int64)
        self.succ = np.repeat(dst, counts)
        first = np.searchsorted(np.repeat(src, counts), np.arange(states + 1))
        self.base = first[:-1]
        self.total = np.diff(first)

    def step(self, rng: np.random.Generator, state: I64, fallback: I64) -> I64:
        total = self.total[state]
        pick = self.base[state] + (rng.random(state.size) * total).astype(np.int64)
        nxt = self.succ[np.minimum(pick, self.succ.size - 1)]
        return np.where(total > 0, nxt, fallback)


@dataclass
class WireModel:
    """What the generator learns from wire-dev: words, shapes, furniture and stock sentences."""

    vocab: npt.NDArray[np.object_]
    starts: I64  # sentence-initial tokens, one per occurrence (sampling by frequency)
    inner: _Sampler
    final: _Sampler
    shapes: list[list[list[tuple[list[int], bool]]]]  # paras > lines > (sentence lengths, end)
    furniture: list[str]  # templates with {outlet}
    read_on: list[str]  # "Also Read: " prefixes
    names: tuple[list[str], list[str]]  # outlet name first and last words
    stock: list[str]

    @classmethod
    def load(cls, wire_dir: Path) -> WireModel:
        docs = [json.loads(x) for x in (wire_dir / "docs.jsonl").open(encoding="utf-8")]
        labels = [json.loads(x) for x in (wire_dir / "labels.jsonl").open(encoding="utf-8")]
        index: dict[str, int] = {}
        starts: list[int] = []
        inner: Counter[tuple[int, int]] = Counter()
        final: Counter[tuple[int, int]] = Counter()
        shapes = []
        stock = []
        for doc, lab in zip(docs, labels, strict=True):
            whole = lab["kind"] in ("original", "singleton")
            shape = []
            for para in doc["text"].split("\n\n"):
                lines = []
                for line in para.split("\n"):
                    sents = [s for s in _SENTENCE.split(line.strip()) if s.split()]
                    if not sents:
                        continue
                    for s in sents:
                        ids = [index.setdefault(w, len(index)) for w in s.split()]
                        starts.append(ids[0])
                        for a, b, w in zip(ids, ids[1:], s.split()[1:], strict=False):
                            (final if _FINAL.search(w) else inner)[(a, b)] += 1
                        if whole and len(ids) >= 8 and _FINAL.search(s):
                            stock.append(s)
                    lines.append(([len(s.split()) for s in sents], bool(_FINAL.search(line))))
                if lines:
                    shape.append(lines)
            if whole and shape:
                shapes.append(shape)
        vocab = np.empty(len(index), dtype=object)
        for w, i in index.items():
            vocab[i] = w
        furniture, read_on, first, last = _furniture(docs, labels)
        return cls(
            vocab=vocab,
            starts=np.array(starts, dtype=np.int64),
            inner=_Sampler(inner, len(index)),
            final=_Sampler(final, len(index)),
            shapes=shapes,
            furniture=furniture,
            read_on=read_on,
            names=(first, last),
            stock=stock,
        )


def _furniture(
    docs: list[dict[str, str]], labels: list[dict[str, str]]
) -> tuple[list[str], list[str], list[str], list[str]]:
    """Furniture line templates (lines a copy adds to its original), with outlet names found
    by matching capitalised phrases against the outlets' host names."""
    hosts = {lab["url"].split("/")[2].removesuffix(".example") for lab in labels}
    by_id = {d["id"]: d for d in docs}
    templates: set[str] = set()
    prefixes: set[str] = set()
    first: set[str] = set()
    last: set[str] = set()
    for doc, lab in zip(docs, labels, strict=True):
        if lab["kind"] != "copy":
            continue
        original = set(by_id[lab["source"]]["text"].split("\n"))
        for line in doc["text"].split("\n"):
            if not line or line in original:
                continue
            read_on = _READ_ON.match(line)
            if read_on:
                prefixes.add(read_on.group(1))
                continue
            for name in _NAME.findall(line):
                compact = name.replace(" ", "").lower()
                if compact in hosts or compact.removeprefix("the") in hosts:
                    words = name.removeprefix("The ").split()
                    if len(words) >= 2:
                        first.add(words[0])
                        last.add(words[-1])
                    line = line.replace(name, "{outlet}")
            templates.add(line)
    return sorted(templates), sorted(prefixes), sorted(first), sorted(last)


class Words:
    """New sentences from the bigram model, made in vectorised chunks per length."""

    CHUNK = 1024

    def __init__(self, model: WireModel, rng: np.random.Generator) -> None:
        self.m = model
        self.rng = rng
        self._buffers: dict[tuple[int, bool], list[str]] = {}

    def sentence(self, length: int, end: bool = True) -> str:
        length = max(1, min(length, 80))
        buf = self._buffers.get((length, end))
        if not buf:
            buf = self._make(length, end)
            self._buffers[(length, end)] = buf
        return buf.pop()

    def _make(self, length: int, end: bool) -> list[str]:
        m, rng, n = self.m, self.rng, self.CHUNK
        fallback = m.starts[rng.integers(0, m.starts.size, size=(length, n))]
        state = fallback[0]
        cols = [state]
        for i in range(1, length):
            sampler = m.final if end and i == length - 1 else m.inner
            state = sampler.step(rng, state, fallback[i])
            cols.append(state)
        words = m.vocab[np.stack(cols, axis=1)].tolist()
        out = []
        for ws in words:
            s = " ".join(ws)
            if end and not _FINAL.search(s):
                s = s.rstrip(",;:") + "."
            elif not end:
                s = s.rstrip(".,;:!?")
            out.append(s[:1].upper() + s[1:])
        return out

    def token(self) -> str:
        return str(self.m.vocab[self.m.starts[self.rng.integers(0, self.m.starts.size)]])


def text_of(body: Body) -> str:
    return "\n\n".join("\n".join(" ".join(line) for line in para) for para in body)
