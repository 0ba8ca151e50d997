"""Synthetic news corpora of any size, shaped like wire-dev, for scale benchmarks.

Recombining wire-dev's own sentences cannot make a million distinct articles: every sentence
would recur in hundreds of them and LSH would see nothing but boilerplate. So sentences are
new, drawn from a word-bigram model of the wire-dev texts (its vocabulary, its local word
order, its sentence lengths), and everything else follows wire-dev:

- article shapes (paragraphs, lines, headings, list items, sentence lengths) are those of its
  originals and singletons;
- units come in wire-dev's proportions: a singleton, or a story (an original, 0-5 derived
  documents of the kinds copy, trim, edit and rewrite, made as its README describes, and 0-3
  citing articles), each document of a story from a different outlet;
- outlets carry page furniture built from wire-dev's furniture lines with the outlet's name
  (copies always, "leaking" outlets on most pages), which fills LSH buckets as it does on
  real sites; ``stock`` sentences (real wire-dev sentences) recur across unrelated articles.

Time runs in days: each ``history`` batch is one day, derived articles appear 0-3 days after
their original, so many land in a later batch, and the first batches get some whose original
came before the history began. Everything is deterministic in the seed.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import numpy as np
from wire_model import Body, Line, WireModel, Words, text_of

from pipeline.document import Document, make_id

_K = TypeVar("_K")

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
# wire-dev's README: derived documents per story, derived kinds, citing articles per story.
DERIVED_PER_STORY = {0: 28, 1: 37, 2: 58, 3: 34, 4: 30, 5: 13}
DERIVED_KINDS = {"copy": 66, "trim": 111, "edit": 85, "rewrite": 178}
CITES_PER_STORY = {0: 126, 1: 64, 2: 8, 3: 2}
STORY_SHARE = 200 / (200 + 320)  # units that are stories, the rest singletons
DOCS_PER_UNIT = 1 + STORY_SHARE * sum(
    n * w for table in (DERIVED_PER_STORY, CITES_PER_STORY) for n, w in table.items()
) / sum(DERIVED_PER_STORY.values())
LEAKING = 0.3


@dataclass(order=True)
class _Pending:
    when: datetime
    doc: Document = field(compare=False)


@dataclass(slots=True)
class Label:
    story: str
    kind: str
    source: str | None  # the original's id, for derived and citing articles


class Corpus:
    """Articles in daily batches; ``batch_labels`` says what each article of the last batch is."""

    def __init__(
        self,
        model: WireModel,
        seed: int = 1,
        batch_size: int = 10_000,
        outlets: int = 400,
        stock_share: float = 0.02,
        warmup_days: int = 3,
    ) -> None:
        self.m = model
        self.rng = np.random.default_rng(seed)
        self.words = Words(model, self.rng)
        self.batch_size = batch_size
        self.stock_share = stock_share
        first, last = model.names
        self.outlets: list[str] = []
        seen = set()
        while len(self.outlets) < outlets:
            name = f"{first[self._int(len(first))]} {last[self._int(len(last))]}"
            n = len(self.outlets) if name in seen else 0
            name = f"{name} {n}" if n else name
            seen.add(name)
            self.outlets.append(name)
        self.leaking = self.rng.random(outlets) < LEAKING
        self.furniture = [
            [
                model.furniture[self._int(len(model.furniture))].replace("{outlet}", o)
                for _ in range(3)
            ]
            for o in self.outlets
        ]
        self.day = -warmup_days
        self.serial = 0
        self.pending: list[_Pending] = []
        self.reservoir: list[tuple[str, Body, datetime, str]] = []  # originals: id, body, date
        self.originals_seen = 0
        self.labels: dict[str, Label] = {}  # articles made but not handed out yet
        self.batch_labels: dict[str, Label] = {}  # the last batch's
        self.kinds: Counter[str] = Counter()  # everything handed out
        # The history starts mid-stream: days before it are made and thrown away, so the
        # first batches get their share of later articles (whose originals are not there).
        while self.day < 0:
            self._hand_out(self._day())
        self.kinds.clear()
        self.reservoir.clear()
        self.originals_seen = 0

    def _int(self, n: int) -> int:
        return int(self.rng.integers(0, n))

    def _pick(self, weights: Mapping[_K, int]) -> _K:
        keys = list(weights)
        p = np.array([weights[k] for k in keys], dtype=float)
        return keys[int(self.rng.choice(len(keys), p=p / p.sum()))]

    # -- texts ----------------------------------------------------------------------------

    def _line(self, lengths: list[int], end: bool) -> Line:
        out = []
        for n, length in enumerate(lengths):
            last = n == len(lengths) - 1
            if end and self.rng.random() < self.stock_share:
                out.append(self.m.stock[self._int(len(self.m.stock))])
            else:
                out.append(self.words.sentence(length, end or not last))
        return out

    def _body(self) -> Body:
        shape = self.m.shapes[self._int(len(self.m.shapes))]
        return [[self._line(lengths, end) for lengths, end in para] for para in shape]

    def _filler(self, sentences: int) -> Body:
        body: Body = []
        while sentences > 0:
            k = min(sentences, int(self.rng.integers(2, 5)))
            body.append([[self.words.sentence(int(self.rng.integers(12, 30))) for _ in range(k)]])
            sentences -= k
        return body

    def _reword(self, sentence: str, share: float) -> str:
        words = sentence.split()
        for i in range(len(words)):
            if self.rng.random() < share:
                keep = words[i][-1] if i == len(words) - 1 and words[i][-1] in ".!?" else ""
                words[i] = self.words.token().lower().rstrip(".!?") + keep
        return " ".join(words)

    def _furnish(self, outlet: int, body: Body, always: bool) -> Body:
        if not (always or (self.leaking[outlet] and self.rng.random() < 0.8)):
            return body
        lines = self.furniture[outlet]
        picked = [[[lines[i]]] for i in sorted(set(self.rng.integers(0, 3, size=2).tolist()))]
        if self.rng.random() < 0.4 and self.m.read_on:
            prefix = self.m.read_on[self._int(len(self.m.read_on))]
            picked.append([[prefix + self.words.sentence(int(self.rng.integers(4, 10)), False)]])
        if self.rng.random() < 0.5:
            return picked[:1] + body + picked[1:]
        return body + picked

    # -- derived kinds (wire-dev's README) ----------------------------------------------

    def _derive(self, kind: str, body: Body, outlet: int) -> Body:
        rng = self.rng
        if kind == "copy":
            return self._furnish(outlet, [list(p) for p in body], always=True)
        if kind == "trim":
            keep = max(1, round(len(body) * rng.uniform(0.4, 0.8)))
            return body[:keep]
        if kind == "edit":
            out = [
                [
                    [
                        self._reword(s, 0.08) if rng.random() < 0.5 else s
                        for s in line
                        if rng.random() >= 0.2 or len(line) == 1
                    ]
                    for line in para
                ]
                for para in body
            ]
            out = [[line for line in para if line] for para in out]
            out = [p for p in out if p]
            for _ in range(int(rng.integers(1, 3))):
                para = out[self._int(len(out))]
                para[-1].append(self.words.sentence(int(rng.integers(12, 30))))
            if len(out) > 2:
                out.insert(self._int(len(out)), out.pop(self._int(len(out))))
            return out
        sentences = [s for para in body for line in para for s in line if len(s.split()) >= 6]
        if not sentences:
            sentences = [s for para in body for line in para for s in line]
        if kind == "rewrite":
            # Word shares that give wire-dev's reused-sentence similarity: char-5-gram
            # Jaccard median about 0.74, about 12% below 0.46.
            k = min(len(sentences), int(rng.integers(2, 5)))
            reused = [
                self._reword(sentences[i], 0.45 * rng.beta(1.3, 3.0))
                for i in sorted(rng.choice(len(sentences), size=k, replace=False).tolist())
            ]
            out = self._filler(int(rng.integers(8, 16)))
            for n, s in enumerate(reused):
                para = out[min(len(out) - 1, self._int(max(1, len(out) // 3)) + n // 2)]
                para[0].insert(self._int(len(para[0]) + 1), s)
            return out
        # cite: one sentence of the original, or a part of one, attributed
        quote = sentences[self._int(len(sentences))].split()
        if rng.random() < 0.4 and len(quote) > 10:
            start = self._int(len(quote) - 6)
            quote = quote[start : start + int(rng.integers(6, 11))]
        said = f"\u201c{' '.join(quote)}\u201d the {self.outlets[outlet]} reported."
        out = self._filler(int(rng.integers(10, 19)))
        out[self._int(len(out))][0].append(said)
        return out

    # -- documents --------------------------------------------------------------------------

    def _document(self, body: Body, outlet: int, when: datetime, label: Label) -> Document:
        self.serial += 1
        host = self.outlets[outlet].lower().replace(" ", "") + ".example"
        url = f"https://{host}/news/{self.serial}"
        title = self.words.sentence(int(self.rng.integers(6, 13)), False)
        doc = Document(
            id=make_id(url),
            source=f"synthetic:{self.serial}",
            url=url,
            text=text_of(body),
            title=title,
            published=when.isoformat().replace("+00:00", "Z"),
        )
        self.labels[doc.id] = label
        return doc

    def _unit(self, start: datetime) -> list[_Pending]:
        """A singleton, or a story with its derived and citing articles."""
        rng = self.rng
        when = start + timedelta(seconds=float(rng.uniform(0, 86400)))
        if rng.random() >= STORY_SHARE:
            outlet = self._int(len(self.outlets))
            body = self._furnish(outlet, self._body(), always=False)
            doc = self._document(
                body, outlet, when, Label(f"solo-{self.serial}", "singleton", None)
            )
            return [_Pending(when, doc)]
        derived = self._pick(DERIVED_PER_STORY)
        cites = self._pick(CITES_PER_STORY)
        outlets = rng.choice(len(self.outlets), size=1 + derived + cites, replace=False).tolist()
        body = self._body()
        story = f"story-{self.serial}"
        original = self._document(
            self._furnish(outlets[0], body, always=False),
            outlets[0],
            when,
            Label(story, "original", None),
        )
        self._remember(original.id, body, when, story)
        out = [_Pending(when, original)]
        kinds = [self._pick(DERIVED_KINDS) for _ in range(derived)] + ["cite"] * cites
        for kind, outlet in zip(kinds, outlets[1:], strict=True):
            out.append(self._derived(kind, original.id, body, when, story, outlet))
        return out

    def _derived(
        self, kind: str, source: str, body: Body, when: datetime, story: str, outlet: int
    ) -> _Pending:
        later = when + timedelta(seconds=float(self.rng.uniform(0, 3 * 86400)))
        derived = self._derive(kind, body, outlet)
        if kind != "copy":
            derived = self._furnish(outlet, derived, always=False)
        label = Label(f"solo-{self.serial}" if kind == "cite" else story, kind, source)
        return _Pending(later, self._document(derived, outlet, later, label))

    def _remember(self, id_: str, body: Body, when: datetime, story: str) -> None:
        """Reservoir sample of all originals so far (for articles derived from the history)."""
        self.originals_seen += 1
        item = (id_, body, when, story)
        if len(self.reservoir) < 256:
            self.reservoir.append(item)
        else:
            k = self._int(self.originals_seen)
            if k < 256:
                self.reservoir[k] = item

    def _day(self) -> list[Document]:
        """One day's articles in publication order: a fixed number of new units (about
        ``batch_size`` articles in all, once the days before have filled the queue) and the
        later articles of earlier days' units that fall due."""
        start = EPOCH + timedelta(days=self.day)
        end = start + timedelta(days=1)
        today = []
        for _ in range(round(self.batch_size / DOCS_PER_UNIT)):
            for p in self._unit(start):
                if p.when < end:
                    today.append(p)
                else:
                    heapq.heappush(self.pending, p)
        while self.pending and self.pending[0].when < end:
            today.append(heapq.heappop(self.pending))
        self.day += 1
        return [p.doc for p in sorted(today)]

    def _hand_out(self, docs: list[Document]) -> list[Document]:
        self.batch_labels = {d.id: self.labels.pop(d.id) for d in docs}
        self.kinds.update(lab.kind for lab in self.batch_labels.values())
        return docs

    def history(self, n: int) -> Iterator[list[Document]]:
        """``n`` articles in daily batches (the last one cut short)."""
        done = 0
        while done < n:
            batch = self._day()[: n - done]
            done += len(batch)
            yield self._hand_out(batch)

    def incremental(self, size: int, from_history: float = 0.1) -> list[Document]:
        """The next ``size`` articles in publication order (the first hours of the next day),
        ``from_history`` of them derived from (or citing) originals sampled over the whole
        history, besides the ones due anyway."""
        start = EPOCH + timedelta(days=self.day)
        extra = []
        for _ in range(round(size * from_history)):
            id_, body, _, story = self.reservoir[self._int(len(self.reservoir))]
            kind = self._pick({**DERIVED_KINDS, "cite": 43})
            outlet = self._int(len(self.outlets))
            doc = self._derived(kind, id_, body, start, story, outlet).doc
            doc.published = (start + timedelta(hours=1)).isoformat()
            extra.append(doc)
        return self._hand_out(extra + self._day()[: size - len(extra)])
