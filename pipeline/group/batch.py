"""Grouping one batch of new articles into the state: the ``group`` step.

1. Signatures for the new articles; their records, then their LSH entries, go into the index
   (insert before query).
2. Candidates: passages sharing at least ``passage_min_bands`` LSH bands, kept when the two
   passages' signatures estimate a Jaccard of at least ``candidate_estimate``; documents
   sharing the text hash, or at least ``doc_min_bands`` bands and kept when their signatures
   estimate a Jaccard of at least ``doc_estimate`` (see ``index.shared_bands``: asking for a
   second band spares reading the sketches of most of the history chance collisions reach).
3. Verification of every candidate pair (exact, see ``links.verify``); the evidence is stored
   and each shared passage's document frequency goes up.
4. Re-clustering of the neighbourhood the batch touched (``regroup``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

import numpy as np

from pipeline.config import GroupConfig
from pipeline.document import Document
from pipeline.group.clusters import order_key
from pipeline.group.index import (
    SKETCH_BITS,
    Collisions,
    DocRecord,
    Index,
    LshEntry,
    TextOnSite,
    contains,
    unique_sorted,
)
from pipeline.group.links import Evidence, passage_counts, verify
from pipeline.group.regroup import GroupResult, regroup
from pipeline.group.signatures import Signature, signature

log = logging.getLogger(__name__)


def timestamp(published: str | None) -> float | None:
    """POSIX seconds of an ISO 8601 date or datetime (UTC when no zone); None if unreadable."""
    if not published:
        return None
    try:
        when = datetime.fromisoformat(published.strip().replace("z", "Z"))
    except ValueError:
        log.debug("unreadable published date %r", published)
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def site_of(doc: Document) -> str | None:
    """The site an article was published on: its URL's host without ``www.``, else sitename.

    A URL Python cannot parse (a broken IPv6 host; the loaders keep it as given) has no host.
    """
    if doc.url:
        try:
            host = (urlsplit(doc.url).hostname or "").lower()
        except ValueError:
            host = ""
        if host:
            return host.removeprefix("www.")
    return doc.sitename.strip().lower() if doc.sitename else None


def make_signature(text: str, cfg: GroupConfig) -> Signature:
    return signature(
        text,
        shingle_chars=cfg.shingle_chars,
        num_perm=cfg.num_perm,
        seed=cfg.seed,
        min_chars=cfg.passage_min_chars,
    )


_SKETCH_MASK = np.uint32((1 << SKETCH_BITS) - 1)
_CHANCE = 1 / (1 << SKETCH_BITS)


def _text_on_site(rec: DocRecord) -> TextOnSite:
    """The article's text on its site: copies of one page with this key count as one."""
    return rec.text_hash, rec.sketch.astype(np.uint8).tobytes(), rec.site


def _sketch(sig: Signature) -> np.ndarray:
    """Low bits of the document signature (row 0) and the passage signatures (rows 1...)."""
    rows = np.vstack([sig.doc_minhash[None, :], sig.passage_minhash])
    return (rows & _SKETCH_MASK).astype(np.uint8)


_PER_WORD = 64 // SKETCH_BITS  # sketch values packed in one 64-bit word
# The lowest bit of each value's field in a word.
_FIELD_LOW = np.uint64(sum(1 << (SKETCH_BITS * k) for k in range(_PER_WORD)))
_CHUNK = 1 << 18  # rows compared at once: bounds the temporary arrays (some 100 MiB)


_PACK_CHUNK = 4096  # articles whose sketches are read and packed at a time


def _pack(table: np.ndarray) -> np.ndarray:
    """Sketch rows with ``_PER_WORD`` values to a 64-bit word (8 words a row at 64
    permutations): agreements are then counted a word at a time."""
    rows, width = table.shape
    if width % _PER_WORD:
        raise ValueError(f"num_perm {width} is not a multiple of {_PER_WORD}")
    shifts = np.arange(0, 64, SKETCH_BITS, dtype=np.uint64)
    fields = table.reshape(rows, width // _PER_WORD, _PER_WORD).astype(np.uint64)
    packed: np.ndarray = np.bitwise_or.reduce(fields << shifts, axis=2)
    return packed


def _packed(
    ids: Sequence[str], own: Mapping[str, np.ndarray], index: Index
) -> tuple[np.ndarray, np.ndarray]:
    """The packed sketch rows of ``ids`` (``own`` first, the rest read from ``index``), and
    where each article's rows begin (``base``; one more entry than ``ids``).

    Sketches are read and packed a chunk of articles at a time, so that the raw sketches of
    a large neighbourhood are never all in memory beside their packed copy.
    """
    counts = np.zeros(len(ids), dtype=np.int64)
    parts = []
    for start in range(0, len(ids), _PACK_CHUNK):
        chunk = ids[start : start + _PACK_CHUNK]
        read = index.sketches([i for i in chunk if i not in own])
        tables = [own[i] if i in own else read[i] for i in chunk]
        counts[start : start + len(chunk)] = [t.shape[0] for t in tables]
        parts.append(_pack(np.vstack(tables)))
        del read, tables
    base = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(counts, out=base[1:])
    if not parts:
        return np.zeros((0, 0), dtype=np.uint64), base
    packed = parts.pop(0) if len(parts) == 1 else np.concatenate(parts)
    return packed, base


def _agreements(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How many of the sketch values of packed rows ``a`` and ``b`` are equal (last axis)."""
    differ = a ^ b
    shift = 1
    while shift < SKETCH_BITS:  # fold each field onto its lowest bit: "any bit differs"
        differ = differ | (differ >> np.uint64(shift))
        shift *= 2
    differ &= _FIELD_LOW
    equal = _PER_WORD * a.shape[-1] - np.bitwise_count(differ).sum(axis=-1, dtype=np.int64)
    return np.asarray(equal)


def _estimates(packed: np.ndarray, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
    """Jaccard estimated from the sketches of rows ``rows_a`` against ``rows_b`` of ``packed``:
    equal low bits are equal values, or an accident (1 in 2^SKETCH_BITS), which is corrected
    for."""
    width = _PER_WORD * packed.shape[1]
    out = np.empty(rows_a.size, dtype=np.float64)
    for start in range(0, rows_a.size, _CHUNK):
        end = start + _CHUNK
        agree = _agreements(packed[rows_a[start:end]], packed[rows_b[start:end]]) / width
        out[start:end] = np.clip((agree - _CHANCE) / (1 - _CHANCE), 0.0, 1.0)
    return out


def _could_link(a: np.ndarray, b: np.ndarray, cfg: GroupConfig) -> bool:
    """Whether two articles' packed passage sketches (``_packed``) leave room for a
    wire_overlap link: enough passages on each side estimated at ``verify_estimate`` or more
    against some passage of the other.

    Most candidate pairs share one passage (a quote, a stock sentence) and cannot link, since
    a link needs ``min_shared_passages``; this spares them the exact comparison.
    """
    threshold = (cfg.verify_estimate * (1 - _CHANCE) + _CHANCE) * _PER_WORD * a.shape[1]
    need = min(cfg.min_shared_passages, cfg.min_shared_with_headings)
    rows = 0
    cols = np.zeros(b.shape[0], dtype=bool)
    # A block of ``a``'s passages against all of ``b``'s at a time: two articles of thousands
    # of passages each would otherwise need gigabytes at once.
    step = max(1, _CHUNK // max(1, b.shape[0] * a.shape[1]))
    for start in range(0, a.shape[0], step):
        close = _agreements(a[start : start + step, None, :], b[None, :, :]) >= threshold
        rows += int(np.count_nonzero(close.any(axis=1)))
        cols |= close.any(axis=0)
    return min(rows, int(np.count_nonzero(cols))) >= need


class _Batch:
    """One batch on its way into the state: its signatures, and the records it touches."""

    def __init__(self, docs: Sequence[Document], index: Index, cfg: GroupConfig) -> None:
        self.index = index
        self.cfg = cfg
        self.docs = {d.id: d for d in docs}
        self.sigs: dict[str, Signature] = {}
        self.records: dict[str, DocRecord] = {}
        self.df: dict[str, np.ndarray] = {}
        self.sketch: dict[str, np.ndarray] = {}

    def signature_of(self, id_: str) -> Signature:
        sig = self.sigs.get(id_)
        if sig is None:
            sig = make_signature(self.record(id_).text, self.cfg)
            self.sigs[id_] = sig
        return sig

    def record(self, id_: str) -> DocRecord:
        rec = self.records.get(id_)
        if rec is None or (not rec.text and rec.length):
            self.records.update(self.index.get_records([id_]))
            rec = self.records[id_]
        return rec

    def load(self, ids: Iterable[str], text: bool = False) -> None:
        missing = [i for i in ids if i not in self.records or (text and not self.records[i].text)]
        if missing:
            self.records.update(self.index.get_records(missing, text=text))

    # -- steps --------------------------------------------------------------------------

    def insert(self) -> list[LshEntry]:
        cfg = self.cfg
        records = []
        entries = []
        for id_, doc in sorted(self.docs.items()):
            sig = make_signature(doc.text, cfg)
            self.sigs[id_] = sig
            df = np.zeros(len(sig.spans), dtype=np.uint16)
            self.df[id_] = df
            self.sketch[id_] = _sketch(sig)
            rec = DocRecord(
                id=id_,
                published=timestamp(doc.published),
                length=sig.length,
                site=site_of(doc),
                text_hash=sig.text_hash,
                text=doc.text,
                df=df,
                sketch=self.sketch[id_],
                cluster_id=id_,
            )
            records.append(rec)
            self.records[id_] = rec
            entries.append(LshEntry(id_, sig.passage_minhash, sig.doc_minhash, sig.text_hash))
        self.index.put_records(records)
        self.index.insert_lsh(entries)
        return entries

    def candidates(
        self, entries: Sequence[LshEntry]
    ) -> tuple[set[tuple[str, str]], dict[str, set[int]]]:
        """Candidate pairs ``(a, b)`` with ``a < b``, and the earlier articles with passages
        that became too common to count (and which: their indices).

        A passage's document frequency counts the other articles with a passage sharing an LSH
        band with it and estimated at ``candidate_estimate`` or more, its article's near
        copies on other sites (whole text estimated at ``near_threshold``) excepted. It
        depends on the set of articles only, not on their order (one text on one site counts
        once: ``_one_per_text``). A full LSH bucket takes no more and yields its earliest
        articles (``index``). Pairs whose only close passages are too common on both sides
        are not candidates: their evidence could never count
        (``passage_counts``).
        """
        cfg = self.cfg
        col = self.index.query_lsh(entries)
        ids = col.ids
        doc_mine = np.concatenate([col.doc_mine, col.exact_mine])
        doc_other = np.concatenate([col.doc_other, col.exact_other])
        # One table of every sketch row involved, and one of every passage frequency, both
        # indexed by base[article] + 1 + passage (row base[article] is the document's). The
        # index names only the articles of pairs sharing enough bands, so chance collisions
        # cost no sketch reads.
        packed, base = _packed(ids, self.sketch, self.index)
        # Whole articles sharing bands are verified only when their sketches say they could
        # be near duplicates: most such collisions are unrelated texts sharing common shingles.
        # (Identical texts have identical sketches.)
        likely = _estimates(packed, base[doc_mine], base[doc_other]) >= cfg.doc_estimate
        pairs = {
            (min(ids[x], ids[y]), max(ids[x], ids[y]))
            for x, y in zip(doc_mine[likely].tolist(), doc_other[likely].tolist(), strict=True)
        }
        a, pa, b, pb = self._passage_rows(col, packed, base)
        width = np.int64(len(ids))
        # Number the article pairs first: a * width + b can need 2 x 32 bits by itself, so
        # shifting it 32 bits further would overflow int64 once a batch meets a large history.
        pair_keys, inverse = np.unique(a * width + b, return_inverse=True)
        inverse = inverse.reshape(-1).astype(np.int64)
        code = unique_sorted((inverse << np.int64(32)) | (pa << np.int64(16)) | pb)
        # Every pair keeps a row (all are close already): its number is the pair's in
        # pair_keys.
        pair_of = code >> np.int64(32)
        pair = pair_keys[pair_of]
        a, b = pair // width, pair % width
        pa, pb = (code >> np.int64(16)) & np.int64(0xFFFF), code & np.int64(0xFFFF)
        # Most collisions are chance ones, and the sketches alone rule them out: frequencies
        # are read only for the articles of close ones.
        involved = np.zeros(len(ids), dtype=bool)
        involved[: len(entries)] = True
        involved[a] = involved[b] = True
        chosen = np.flatnonzero(involved).tolist()
        self.load(ids[n] for n in chosen if ids[n] not in self.docs)
        counts = self._one_per_text(ids, chosen)
        freq = np.zeros(int(base[-1]), dtype=np.int64)
        for n in chosen:
            freq[base[n] + 1 : base[n + 1]] = self._df_of(ids[n])
        before = freq.copy()
        da, db = pair_keys // width, pair_keys % width
        dup = _estimates(packed, base[da], base[db]) >= cfg.near_threshold
        for x, y in zip(da[dup].tolist(), db[dup].tolist(), strict=True):
            pairs.add((ids[x], ids[y]))  # duplicates: verified
        counted = ~self._uncounted(ids, da, db, dup)[pair_of]
        # One count per (article pair, passage) on each side, from one article per text on a
        # site.
        rows_a = base[a] + 1 + pa
        rows_b = base[b] + 1 + pb
        for rows, partner in ((rows_a, b), (rows_b, a)):
            sel = counted & counts[partner]
            once = unique_sorted((pair_of[sel] << np.int64(32)) | rows[sel]) & np.int64(0xFFFFFFFF)
            freq += np.bincount(once, minlength=freq.size)
        limit = cfg.max_passage_df
        # Counts above the limit all mean "too common": keeping them at limit + 1 means a
        # furniture line met again changes nothing, so its articles are not re-decided.
        freq = np.minimum(freq, limit + 1)
        rare = passage_counts(freq[rows_a], freq[rows_b], limit)
        for k in unique_sorted(pair[rare]).tolist():
            x, y = k // int(width), k % int(width)
            if (ids[x], ids[y]) not in pairs and _could_link(
                packed[base[x] + 1 : base[x + 1]], packed[base[y] + 1 : base[y + 1]], cfg
            ):
                pairs.add((ids[x], ids[y]))
        # Article of each row of the tables (row base[n] is article n's document row).
        article = np.repeat(np.arange(len(ids)), np.diff(base))
        for n in unique_sorted(article[freq != before]).tolist():
            lo, hi = int(base[n]) + 1, int(base[n + 1])
            self.df[ids[n]] = freq[lo:hi].astype(np.uint16)
        # Decisions see a frequency only through the limit: only a passage crossing it can
        # change an earlier article's links.
        crossed = (freq > limit) != (before > limit)
        changed: dict[str, set[int]] = {}
        for row in np.flatnonzero(crossed).tolist():
            n = int(article[row])
            if ids[n] not in self.docs:
                changed.setdefault(ids[n], set()).add(row - int(base[n]) - 1)
        self.index.set_df(self.df)
        for id_, df in self.df.items():
            if id_ in self.records:
                self.records[id_].df = df
        return self._few_earlier(pairs, packed, base, ids), changed

    def _passage_rows(
        self, col: Collisions, packed: np.ndarray, base: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The close pairs of passages the query found (``Collisions.pairs``; estimated at
        ``candidate_estimate`` or more), as ``(a, passage, b, passage)``, each with the
        smaller id first; of the pairs between two near copies that count nowhere in each
        other's frequencies (``_uncounted``), one per pair of articles: it makes them
        candidates, which is all grouping needs of them. Without it, n copies of a story in a
        batch would make up to n times ``hot_bucket`` rows for each of its passages; the
        pairs are made and judged a part at a time, so they are never all in memory.
        """
        cfg, ids = self.cfg, col.ids
        rank = np.empty(len(ids), dtype=np.int64)
        rank[np.argsort(np.array(ids, dtype=object), kind="stable")] = np.arange(len(ids))
        width = np.int64(len(ids))
        kept = np.zeros(0, dtype=np.int64)  # article pairs (a * width + b) of a kept row
        parts = []
        for mine, mp, other, op in col.pairs():
            # Orient every collision with the smaller id first. A collision between two batch
            # articles is reported from both sides, or from one only (a full bucket yields its
            # earliest articles).
            swap = rank[mine] > rank[other]
            a, pa = np.where(swap, other, mine), np.where(swap, op, mp)
            b, pb = np.where(swap, mine, other), np.where(swap, mp, op)
            close = _estimates(packed, base[a] + 1 + pa, base[b] + 1 + pb) >= cfg.candidate_estimate
            a, pa, b, pb = a[close], pa[close], b[close], pb[close]
            pair, first, inverse = np.unique(a * width + b, return_index=True, return_inverse=True)
            x, y = pair // width, pair % width
            dup = _estimates(packed, base[x], base[y]) >= cfg.near_threshold
            silent = self._uncounted(ids, x, y, dup)
            if silent.any():
                drop = silent[inverse.reshape(-1)]
                new = silent & ~contains(kept, pair)
                drop[first[new]] = False
                kept = np.union1d(kept, pair[new])
                a, pa, b, pb = a[~drop], pa[~drop], b[~drop], pb[~drop]
            parts.append((a, pa, b, pb))
        if not parts:
            none = np.zeros(0, dtype=np.int64)
            return none, none, none, none
        a, pa, b, pb = (np.concatenate(column) for column in zip(*parts, strict=True))
        return a, pa, b, pb

    def _uncounted(
        self, ids: Sequence[str], a: np.ndarray, b: np.ndarray, dup: np.ndarray
    ) -> np.ndarray:
        """Which pairs ``(a[k], b[k])`` of near copies (``dup``) count nowhere in each other's
        passage frequencies (``passage_counts``): copies of one story on two sites, and one
        text on one site (a page at two addresses). Other near copies on one site count:
        pages of a site alike mostly through their shared furniture are many pages, not one
        story."""
        if not dup.any():
            return dup
        both = np.concatenate([a[dup], b[dup]])
        self.load(ids[n] for n in unique_sorted(both).tolist() if ids[n] not in self.docs)
        site, text = self._codes(ids, both)
        same_site = (site[a] == site[b]) & (site[a] >= 0)
        out: np.ndarray = dup & (~same_site | (text[a] == text[b]))
        return out

    def _codes(self, ids: Sequence[str], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For the articles ``ids[rows]``: a number per known site (-1: none) and one per text
        on a site (``TextOnSite``), equal where they are equal; -1 elsewhere."""
        site = np.full(len(ids), -1, dtype=np.int64)
        text = np.full(len(ids), -1, dtype=np.int64)
        sites: dict[str, int] = {}
        texts: dict[TextOnSite, int] = {}
        for n in np.unique(rows).tolist():
            rec = self.record(ids[n])
            if rec.site is not None:
                site[n] = sites.setdefault(rec.site, len(sites))
            text[n] = texts.setdefault(_text_on_site(rec), len(texts))
        return site, text

    def _one_per_text(self, ids: Sequence[str], chosen: Sequence[int]) -> np.ndarray:
        """Which of ``ids`` count towards other articles' passage frequencies: of the
        articles with one text on one site (a page reached at two addresses), one. One text
        is one text hash and one sketch: the same words cut into other passages (other line
        breaks) make other passages, which count apart. Among those stored, the first by id;
        a batch article when no stored article has its text on its site and it is the first
        by id of the batch's with it. (``chosen``: the articles whose records are loaded; the
        others are never counted from.)

        Whichever counts, each text on each site counts once, in any order of arrival: a
        frequency is only ever counted up, and a text met again on a site adds nothing. The
        site is part of the key because whether an article is counted at all depends on it
        (near copies on other sites are not), and must not depend on which copy counts.
        """
        counts = np.ones(len(ids), dtype=bool)
        texts = {n: _text_on_site(self.records[ids[n]]) for n in chosen}
        stored_first = self.index.first_stored({t[0] for t in texts.values() if t[0]})
        batch_first: dict[TextOnSite, str] = {}
        for id_ in sorted(self.docs):
            batch_first.setdefault(_text_on_site(self.records[id_]), id_)
        for n, text in texts.items():
            if not text[0]:
                continue
            if ids[n] in self.docs:
                counts[n] = text not in stored_first and batch_first[text] == ids[n]
            else:
                counts[n] = stored_first.get(text) == ids[n]
        return counts

    def _few_earlier(
        self,
        pairs: set[tuple[str, str]],
        packed: np.ndarray,
        base: np.ndarray,
        ids: Sequence[str],
    ) -> set[tuple[str, str]]:
        """At most ``max_earlier_links`` near copies per article among the candidates before
        it in the canonical order: those whose whole-text estimate reaches ``near_threshold``,
        the closest first (then the earliest). Other candidates are all kept.

        An article joins its cluster through its strongest link to an earlier article, and a
        duplicate link outranks any wire overlap: among many near copies, the closest few hold
        the one it joins through. Without a bound, n copies of one story make n(n-1)/2 pairs
        to verify, keep and re-cluster (2,000 copies: 2 million). Candidates that are not near
        copies (articles sharing sentences, or furniture) are not ranked by this estimate,
        which says little of how strongly they link, and their number is bounded already
        (``max_passage_df``). A pair is judged by its later article, which in a batch sees
        every candidate before it; an earlier article that arrives after the later one (a
        re-rooting) is kept for every later one, so the cluster moves to it whole.
        """
        cap, threshold = self.cfg.max_earlier_links, self.cfg.near_threshold
        partners: dict[str, list[str]] = {}
        for a, b in pairs:
            partners.setdefault(a, []).append(b)
            partners.setdefault(b, []).append(a)
        crowded = sorted(i for i, ps in partners.items() if len(ps) > cap)
        if not crowded:
            return pairs
        involved = set(crowded) | {p for i in crowded for p in partners[i]}
        self.load(involved)
        key = {i: order_key(i, self.records[i].published, self.records[i].length) for i in involved}
        where = {id_: n for n, id_ in enumerate(ids)}
        dropped: set[tuple[str, str]] = set()
        for later in crowded:
            if later not in self.docs:
                continue  # a stored article, met by earlier ones arriving now: all are kept
            earlier = [e for e in partners[later] if key[e] < key[later]]
            if len(earlier) <= cap:
                continue
            rows = base[np.array([where[e] for e in earlier], dtype=np.int64)]
            own = np.full(rows.size, base[where[later]], dtype=np.int64)
            estimate = _estimates(packed, own, rows).tolist()
            near = [(e, x) for e, x in zip(earlier, estimate, strict=True) if x >= threshold]
            near.sort(key=lambda pair: (-pair[1], key[pair[0]]))
            for e, _ in near[cap:]:
                dropped.add((e, later) if e < later else (later, e))
        return pairs - dropped

    def _df_of(self, id_: str) -> np.ndarray:
        df = self.df.get(id_)
        if df is None:
            self.load([id_])
            df = self.records[id_].df.copy()
            self.df[id_] = df
        return df

    def verify(self, pairs: set[tuple[str, str]]) -> list[Evidence]:
        old = sorted({i for p in pairs for i in p} - self.docs.keys())
        self.load(old, text=True)
        evidence = []
        for a, b in sorted(pairs):
            ev = verify(a, self.signature_of(a), b, self.signature_of(b), self.cfg)
            if ev is not None:
                evidence.append(ev)
        self.index.add_evidence(evidence)
        return evidence


def group(docs: Sequence[Document], index: Index, cfg: GroupConfig) -> GroupResult:
    """Group ``docs`` (cleaned, not yet in the state) with each other and with the state.

    Sets ``cluster_id``, ``relation`` and ``duplicate_of`` on every document, and stages
    everything in the index: ``index.commit()`` makes it durable, in one step. On an error
    the staged writes are rolled back. The result does not depend on the order of ``docs``.
    """
    unique: dict[str, Document] = {}
    for d in sorted(docs, key=lambda d: (d.id, d.source)):
        unique.setdefault(d.id, d)
    known = index.known(unique)
    if known:
        log.warning("skipping %d articles already in the state", len(known))
    new = [unique[i] for i in sorted(unique) if i not in known]
    batch = _Batch(new, index, cfg)
    try:
        if new:
            entries = batch.insert()
            pairs, crossed = batch.candidates(entries)
            evidence = batch.verify(pairs)
            result = regroup(batch, evidence, crossed)
        else:
            result = GroupResult([])
    except BaseException:
        index.rollback()
        raise
    # Articles not grouped here (already known, or the same id twice) get what the state says.
    rest = [d for d in docs if d.cluster_id is None or d.id in known]
    if rest:
        stored = index.get_records({d.id for d in rest}, text=False)
        for d in rest:
            rec = stored.get(d.id)
            if rec is not None:
                d.cluster_id = rec.cluster_id
                d.relation = rec.relation
                d.duplicate_of = rec.cluster_id if rec.cluster_id != d.id else None
    return result
