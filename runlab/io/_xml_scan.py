"""The points of an XML document (TCX, GPX) as columns: one entry point, :func:`load`.

Speed
-----
:func:`load` reads the points of a document with a vectorized *layout scanner* (numpy over
the bytes, Arrow for comparing and parsing, no Python loop per point). A device writes
every track point with the same markup and only the values change, so:

1. numpy finds every ``<`` and the point elements (start and end tags by name);
2. the first point is a *template*: its markup is cut at its values (attribute values and
   the texts of elements without children) into runs of bytes;
3. those runs are laid over every other point with as many tags: a point whose runs are
   byte for byte the template's has the template's layout, and its values are where the
   template's are (Arrow compares the runs in place, one run position at a time);
4. points left over give the next template, and so on (at most :data:`MAX_LAYOUTS`);
5. the document with the points cut out — and one template per layout left in — is parsed
   by expat: that one parse vouches for the well-formedness, names and namespaces of every
   point, since each is the same markup as a template it parsed. Numbers are parsed by
   Arrow, device times by :func:`parse_times` straight to µs.

What the scanner cannot vouch for goes to the full expat parse, which gives the same
result (a differential fuzz test and the whole corpus check this) and the authoritative
error message: comments, CDATA, processing instructions, entity or character references,
control characters, other encodings, invalid UTF-8, text beside child elements in a point,
namespace declarations below the root outside the points, more than ``MAX_LAYOUTS``
layouts. About 2 µs per 1 Hz point (``benchmarks/read_xml.py``: 10–15 × tcxreader and
gpxpy), linear in file size.

``load(..., scan=False)`` turns the scanner off: expat alone reads the document, the
reference the scanner is tested against.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from runlab.errors import CorruptFileError, ReadError
from runlab.io._times import device_times, first_text, parse_times, utc_offset_s, zulu_rows
from runlab.io._xml_safe import local, namespace, parse_prepared, prepare

__all__ = ["Doc", "load", "point_times", "MAX_LAYOUTS"]



@dataclass
class Doc:
    """An XML document split into its points and the rest.

    ``root`` is the document without its point elements (fast path) or the whole tree (full
    parse); readers take laps, tracks and metadata from it, never points. Per point (in
    document order): ``cols`` numeric columns, ``texts`` text fields, ``attrs`` attributes,
    ``within[name]`` the 0-based document-order number of the enclosing ``name`` element
    (-1 outside any). ``fast`` tells which path read it. ``times``: text fields the fast
    path found to be device times (``YYYY-MM-DDTHH:MM:SS[.fff[fff]]Z`` throughout), already
    parsed (µs, UTC) instead of given as texts; read them with :func:`point_times`.
    """

    root: ET.Element
    n: int
    cols: dict[str, np.ndarray]
    texts: dict[str, pl.Series]
    attrs: dict[str, pl.Series]
    within: dict[str, np.ndarray]
    fast: bool
    times: dict[str, pl.Series] = field(default_factory=dict)
    #: what stopped a ``strict=False`` load (the points are those before it); None: whole
    fault: str | None = None

    def head(self, k: int, fault: str) -> Doc:
        """The first ``k`` points only: a reader found ``fault`` at point ``k``."""
        return Doc(self.root, k, {c: v[:k] for c, v in self.cols.items()},
                   {c: v.head(k) for c, v in self.texts.items()},
                   {c: v.head(k) for c, v in self.attrs.items()},
                   {c: v[:k] for c, v in self.within.items()}, self.fast,
                   {c: v.head(k) for c, v in self.times.items()}, fault)


def point_times(doc: Doc, name: str, path: str, keep: np.ndarray | None = None
                ) -> tuple[pl.Series, list[str], int | None]:
    """The times of the points' text field ``name`` (µs, UTC) for the points ``keep`` (a
    mask; all when None), the warnings of :func:`parse_times`, and the UTC offset written on
    the first time [s] (None: ``Z`` or none)."""
    if name in doc.times:
        times = doc.times[name]
        return (times if keep is None else times.filter(pl.Series(keep))), [], None
    texts = doc.texts[name] if keep is None else doc.texts[name].filter(pl.Series(keep))
    times, warnings = parse_times(texts, path)
    return times, warnings, utc_offset_s(first_text(texts))


def load(data: bytes, path: str, *, point: str, names: dict[str, str],
         texts: Sequence[str] = (), attrs: Sequence[str] = (),
         containers: Sequence[str] = (), scan: bool = True, strict: bool = True) -> Doc:
    """Parse ``data`` safely into a :class:`Doc` of ``point`` elements.

    Parameters
    ----------
    point
        Local name of the point element (``"Trackpoint"``, ``"trkpt"``).
    names
        Descendant tag of a point → numeric column: full ``"{uri}local"`` keys win over
        local-name keys. The first numeric text of a tag within a point is used.
    texts
        Local names of point children whose text is wanted as strings (``"Time"``).
    attrs
        Attributes of the point element wanted as strings (``"lat"``).
    containers
        Local names of elements whose ordinal each point should carry (``"Lap"``).
    scan
        False: expat alone reads the document (the reference the scanner is tested
        against); ``Doc.fast`` tells which path read it.
    strict
        False: a document that is not well-formed (truncated, damaged) gives the points
        that ended before the first fault, and ``Doc.fault`` says what it was; it still
        raises when no point ended before it.

    Notes
    -----
    Documents in the shape devices write are read by the layout scanner (see the module
    notes); anything else by the C expat parser (``xml.etree``), which gives the same
    result, and the authoritative error.
    """
    data = prepare(data, path)
    spec = (point, names, tuple(texts), tuple(attrs), tuple(containers))
    fast = _scan(data, *spec) if scan else None
    if fast is not None:
        return fast
    try:
        return _tree_doc(parse_prepared(data, path), *spec)
    except CorruptFileError as exc:
        root = None if strict else _sound_prefix(data, point)
        doc = None if root is None else _tree_doc(root, *spec)
        if doc is None or doc.n == 0:
            raise
        doc.fault = exc.reason
        return doc


def _sound_prefix(data: bytes, point: str) -> ET.Element | None:
    """The tree expat built before the first fault of ``data``, without the ``point``
    element it was inside (its values may be cut); None when not even the root started."""
    parser = ET.XMLPullParser(events=("start", "end"))
    open_: list[ET.Element] = []
    root = None
    try:
        parser.feed(data)
        parser.close()
    except ET.ParseError:
        pass
    except (LookupError, ValueError):  # encodings: not damage, no partial read
        return None
    try:
        for event, element in parser.read_events():  # raises the queued fault at its place
            if event == "start":
                root = element if root is None else root
                open_.append(element)
            else:
                open_.pop()
    except ET.ParseError:
        pass
    except (LookupError, ValueError):  # encodings: not damage, no partial read
        return None
    for parent, child in zip(open_, open_[1:], strict=False):
        if local(child.tag) == point:
            parent.remove(child)
            break
    return root


def _tree_doc(root: ET.Element, point: str, names: dict[str, str], texts: tuple[str, ...],
              attrs: tuple[str, ...], containers: tuple[str, ...]) -> Doc:
    """:class:`Doc` from a parsed tree (the general path)."""
    ns = namespace(root.tag)
    tag = f"{ns}{point}"
    points = list(root.iter(tag))
    triples = [(i, e.tag, e.text) for i, p in enumerate(points) for e in p.iter()]
    pid, keys, text = zip(*triples, strict=True) if triples else ((), (), ())
    labels, code = _labels(names, texts)
    key_code = {}
    for k in set(keys):
        label = f"\0{local(k)}" if local(k) in texts else names.get(k, names.get(local(k)))
        key_code[k] = code.get(label, -1) if label else -1
    text_s = pl.Series(list(text), dtype=pl.String)
    padded = (text_s.str.strip_chars().str.len_bytes() != text_s.str.len_bytes()).fill_null(
        True) | (text_s.str.len_bytes() == 0)
    cols, txt = _columns(len(points), np.fromiter(pid, np.int64, len(pid)),
                         np.fromiter((key_code[k] for k in keys), np.int64, len(keys)),
                         labels, text_s, texts, padded.to_numpy())
    within = {}
    for name in containers:
        order = {id(p): k for k, c in enumerate(root.iter(f"{ns}{name}")) for p in c.iter(tag)}
        within[name] = np.array([order.get(id(p), -1) for p in points], dtype=np.int64)
    got = {a: pl.Series(a, [p.get(a) for p in points], dtype=pl.String) for a in attrs}
    return Doc(root, len(points), cols, txt, got, within, fast=False)


def _columns(n: int, pid: np.ndarray, cid: np.ndarray, labels: list[str], text: pl.Series,
             texts: tuple[str, ...], padded: np.ndarray
             ) -> tuple[dict[str, np.ndarray], dict[str, pl.Series]]:
    """Scatter (point, label code, text) rows, in document order, into columns of length n.

    ``labels[code]`` is a numeric column, or ``"\0<local>"`` for a text field; ``padded``
    marks rows whose text is empty or starts or ends with whitespace. The first numeric (for
    text fields: non-blank) value of a label within a point wins. Few polars calls: under
    load each one costs a thread-pool round trip.
    """
    cols: dict[str, np.ndarray] = {}
    txt: dict[str, pl.Series] = {}
    number = _numbers(text.to_arrow())
    blank = np.zeros(len(text), dtype=bool)
    retry = np.flatnonzero(padded & np.isnan(number))
    if retry.size:  # blank text
        blank[retry] = (text.gather(retry).str.strip_chars().str.len_bytes() == 0
                        ).fill_null(True).to_numpy()
    for code, label in enumerate(labels):
        sel = np.flatnonzero(cid == code)
        is_text = label.startswith("\0")
        sel = sel[~blank[sel]] if is_text else sel[np.isfinite(number[sel])]
        if not sel.size:
            continue
        where = pid[sel]
        first = np.r_[True, where[1:] != where[:-1]]
        where, sel = where[first], sel[first]
        if not is_text:
            arr = np.full(n, np.nan)
            arr[where] = number[sel]
            cols[label] = arr
            continue
        values = text.gather(sel)
        if padded[sel].any():
            values = values.str.strip_chars()
        if where.size == n:  # every point has one (where is increasing, so it is 0..n-1)
            txt[label[1:]] = values.alias(label[1:])
        else:
            txt[label[1:]] = (pl.Series(label[1:], dtype=pl.String).extend_constant(None, n)
                              .scatter(where, values))
    for name in texts:
        if name not in txt:
            txt[name] = pl.Series(name, dtype=pl.String).extend_constant(None, n)
    return cols, txt


def _labels(names: dict[str, str], texts: tuple[str, ...]) -> tuple[list[str], dict]:
    """Unique labels (columns, then ``"\0<text>"``) and a key → label-code function's table."""
    labels = list(dict.fromkeys([*names.values(), *(f"\0{t}" for t in texts)]))
    return labels, {lab: i for i, lab in enumerate(labels)}


# ----------------------------------------------------------------- the layout scanner

_WS = np.zeros(256, dtype=bool)
_WS[[9, 10, 13, 32]] = True
#: Bytes XML 1.0 forbids: the control characters but tab, line feed and carriage return.
_CONTROL = np.zeros(32, dtype=bool)
_CONTROL[[b for b in range(32) if b not in (9, 10, 13)]] = True
#: Stands in the skeleton for each run of sibling points that was cut out.
_MARKER = "runlab-points"
#: More point layouts than this: the full parser is quicker.
MAX_LAYOUTS = 64
#: Longest start tag of a point the scanner reads [bytes].
_MAX_START_TAG = 1024
_NUMBER, _TEXT, _ATTR = 0, 1, 2


def _scan(data: bytes, point: str, names: dict[str, str], texts: tuple[str, ...],
          attrs: tuple[str, ...], containers: tuple[str, ...]) -> Doc | None:
    """The vectorized fast path (see :func:`load`); None when the full parser must decide."""
    arr = np.frombuffer(data, np.uint8)
    lt, control = _markup(arr)
    if _CONTROL[control].any() or data.find(b"&") >= 0:
        return None  # control characters; entity or character references
    if data.startswith(b"<?xml"):
        m = re.match(rb"<\?xml[^>]*encoding\s*=\s*[\"']([^\"']+)", data[:200])
        if m and m.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
            return None
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    found = re.search(rb"<((?:[^\s<>/:!?=\"']+:)?" + re.escape(point.encode()) + rb")[\s/>]",
                      data)
    if found is None or lt[-1] + 2 >= arr.size:
        return None  # no points; a '<' at the very end
    c1, c2 = arr[1:][lt], arr[2:][lt]
    if (c1 == 33).any() or (c1[1:] == 63).any():
        return None  # comments, CDATA, processing instructions
    qname = found.group(1)
    cand = np.flatnonzero(c1 == qname[0])
    opens = _tags_named(arr, lt, cand[c2[cand] == qname[1]] if len(qname) > 1 else cand,
                        qname, 1)
    closes = _tags_named(arr, lt, np.flatnonzero((c1 == 47) & (c2 == qname[0])), qname, 2)
    n = opens.size
    if n == 0 or opens[-1] + 1 >= lt.size:
        return None
    # each point's end tag comes before the next point starts; one without is <trkpt .../>
    k = np.searchsorted(closes, opens)
    has_end = (k < closes.size) & (np.r_[closes, lt.size][k] < np.r_[opens[1:], lt.size])
    if not np.array_equal(k[has_end], np.arange(closes.size)):
        return None  # points nest, or an end tag has no point
    ends = opens.copy()
    ends[has_end] = closes
    quoted = _quoted(arr, lt[opens], lt[opens + 1] - lt[opens], len(qname))
    if quoted is None:
        return None
    layouts = _layouts(data, lt, c1, opens, ends, *quoted)
    if layouts is None:
        return None
    # everything but the points, with the template of each layout, is parsed by expat
    group = np.r_[True, opens[1:] != ends[:-1] + 1]  # runs of sibling points
    g_first = np.flatnonzero(group)
    g_size = np.diff(np.r_[g_first, n])
    templates = np.sort([lay.template for lay in layouts])
    g_end = [_tag_end(data, p) for p in lt[ends[g_first + g_size - 1]].tolist()]
    t_end = [_tag_end(data, p) for p in lt[ends[templates]].tolist()]
    root_end = _tag_end(data, int(lt[int(c1[0] == 63)]))
    if min(*g_end, *t_end, root_end) < 0:
        return None
    skeleton = _skeleton(data, lt[opens[g_first]], np.array(g_end),
                         np.searchsorted(g_first, templates, side="right") - 1,
                         lt[opens[templates]], np.array(t_end), after=root_end)
    if skeleton is None:
        return None
    try:
        root = parse_prepared(skeleton, "<skeleton>")
    except ReadError:
        return None  # the full parse reports it, naming the file
    parts = _skeleton_parts(root, point, containers, g_first.size, templates.size)
    if parts is None:
        return None
    tpl_elems, around = parts
    # each layout's values → labels, from the names expat resolved in its template
    labels, code = _labels(names, texts)
    kinds = [_TEXT if lab.startswith("\0") else _NUMBER for lab in labels]
    code.update({f"@{x}": len(labels) + i for i, x in enumerate(attrs)})
    labels += [f"@{x}" for x in attrs]
    kinds += [_ATTR] * len(attrs)
    element = dict(zip(templates.tolist(), tpl_elems, strict=True))
    for lay in layouts:
        el, o = element[lay.template], opens[lay.template]
        starts = np.flatnonzero(c1[o: ends[lay.template] + 1] != 47)  # start tags (offsets)
        elems = list(el.iter())
        if len(elems) != starts.size or len(el.attrib) != lay.n_attr:
            return None  # namespace declarations on a point
        row = [code.get(f"@{a}", -1) for a in el.attrib]
        for i in np.searchsorted(starts, lay.leaves).tolist():
            loc = local(elems[i].tag)
            label = f"\0{loc}" if loc in texts else names.get(elems[i].tag, names.get(loc))
            row.append(code[label] if label is not None else -1)
        lay.codes = np.array(row, dtype=np.int64)
    cols, txt, times = _layout_columns(data, arr, n, layouts, labels, np.array(kinds))
    within = {name: np.repeat(k, g_size) for name, k in around.items()}
    got = {x: txt.pop(f"@{x}") for x in attrs}
    return Doc(root, n, cols, txt, got, within, fast=True, times=times)


def _markup(arr: np.ndarray, chunk: int = 1 << 17) -> tuple[np.ndarray, np.ndarray]:
    """Positions of every ``<`` (int32, ascending) and the bytes below 32.

    Block by block, in a scratch buffer that stays in the CPU cache: temporaries the size of
    the document would each cost a page fault per 4 KiB on every file read."""
    hit = np.empty(min(chunk, arr.size), dtype=bool)
    marks, low = [], []
    for at in range(0, arr.size, chunk):
        block = arr[at: at + chunk]
        h = hit[:block.size]
        low.append(block[np.less(block, 32, out=h)])
        marks.append(np.flatnonzero(np.equal(block, 60, out=h)).astype(np.int32) + np.int32(at))
    return np.concatenate(marks), np.concatenate(low)


def _tags_named(arr: np.ndarray, lt: np.ndarray, cand: np.ndarray, qname: bytes,
                skip: int) -> np.ndarray:
    """Those of the ``cand`` tags that are ``<qname`` (skip=1) or ``</qname`` (skip=2)
    followed by a blank, ``>`` or (start tags) ``/``."""
    cand = cand[lt[cand] + skip + max(len(qname), 8) < arr.size]
    words = np.ndarray((arr.size - 7,), dtype="<u8", buffer=arr, strides=(1,))
    last = max(len(qname) - 8, 0)
    for at in sorted({*range(0, last, 8), last}):  # the name, 8 bytes at a time
        part = qname[at: at + 8]
        mask = np.uint64((1 << (8 * len(part))) - 1)
        cand = cand[words[lt[cand] + skip + at] & mask == int.from_bytes(part, "little")]
    after = arr[lt[cand] + skip + len(qname)]
    return cand[(after == 62) | _WS[after] | ((after == 47) & (skip == 1))].astype(np.int32)


#: A tag from its '<' to its '>', quoted attribute values (which may hold '>') included.
_TAG = re.compile(rb"""<[^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*>""")


def _tag_end(data: bytes, at: int) -> int:
    """The position after the tag that starts at ``at`` (-1 if it does not close)."""
    m = _TAG.match(data, at)
    return m.end() if m else -1


def _quoted(arr: np.ndarray, lo: np.ndarray, room: np.ndarray, name: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Byte ranges (start, stop) and tag number of the quoted values in the start tags at
    ``lo`` (each followed by ``room`` bytes before the next '<'); None if a value holds the
    other quote or a tag is very long. Tags whose name (``name`` bytes) ends at '>' have
    none."""
    bare = arr[lo + 1 + name] == 62
    if bare.all():  # <Trackpoint>
        return (np.empty(0, np.int32),) * 3
    w = int(min(room.max(), _MAX_START_TAG))
    if lo[-1] + w > arr.size:
        return None
    rows = _byte_rows(arr, lo, w)
    quote = (rows == 34) | (rows == 39)
    quote &= np.arange(w) < room[:, None]
    r, c = np.divmod(np.flatnonzero(quote).astype(np.int32), np.int32(w))
    if r.size % 2 or (r[0::2] != r[1::2]).any():
        return None
    if (rows[r[0::2], c[0::2]] != rows[r[1::2], c[1::2]]).any():
        return None
    return lo[r[0::2]] + c[0::2] + 1, lo[r[1::2]] + c[1::2], r[0::2]


@dataclass
class _Layout:
    """Points whose markup is byte for byte that of their first point, the template: their
    values (attributes, then leaf texts) lie at ``start:stop`` (points × values)."""

    template: int
    points: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    leaves: np.ndarray  # the template's leaves, as tag offsets from its start tag
    n_attr: int
    codes: np.ndarray | None = None  # each value's label code (-1: not wanted)


def _layouts(data: bytes, lt: np.ndarray, c1: np.ndarray, opens: np.ndarray,
             ends: np.ndarray, a_start: np.ndarray, a_stop: np.ndarray,
             a_owner: np.ndarray) -> list[_Layout] | None:
    """Sort the points into layouts: the first point not yet placed is a template, and every
    other with the same number of tags and attributes whose markup runs (the bytes between
    its values) equal the template's joins it. None past :data:`MAX_LAYOUTS`."""
    n = opens.size
    n_attr = np.bincount(a_owner, minlength=n)
    first_attr = (np.cumsum(n_attr) - n_attr).astype(np.int32)
    tags = ends - opens
    left = np.ones(n, dtype=bool)
    found: list[_Layout] = []
    while left.any():
        if len(found) == MAX_LAYOUTS:
            return None
        t = int(np.argmax(left))
        a = int(n_attr[t])
        tpl = _template(data, lt, c1, int(opens[t]), int(ends[t]),
                        a_start[first_attr[t]: first_attr[t] + a],
                        a_stop[first_attr[t]: first_attr[t] + a])
        if tpl is None:
            return None
        leaves, run = tpl
        cand = np.flatnonzero(left & (tags == tags[t]) & (n_attr == a))  # cand[0] == t
        k = first_attr[cand][:, None] + np.arange(a, dtype=np.int32)
        o = opens[cand]
        start, stop, ok = _walk(data, lt, o, np.r_[lt[o[1:]], len(data)], a_start[k],
                                a_stop[k], leaves, run)
        if not ok[0]:
            return None
        found.append(_Layout(t, cand[ok], start[ok], stop[ok], leaves, a))
        left[cand[ok]] = False
    return found


def _template(data: bytes, lt: np.ndarray, c1: np.ndarray, o: int, e: int,
              a_start: np.ndarray, a_stop: np.ndarray
              ) -> tuple[np.ndarray, list[bytes]] | None:
    """A template point's leaves (tag offsets of its elements without children, whose texts
    are values) and its markup runs (the bytes around its values)."""
    tag_end = [_tag_end(data, int(p)) for p in lt[o: e + 1].tolist()]
    if min(tag_end) < 0:
        return None
    end_tag = c1[o: e + 1] == 47
    self_tag = np.array([data[p - 2] == 47 for p in tag_end])
    leaves = np.flatnonzero(~end_tag[:-1] & ~self_tag[:-1] & end_tag[1:])
    leaves = leaves[leaves > 0].astype(np.int32)  # inside the point, not the point itself
    texts = set(leaves.tolist())
    if any(data[tag_end[j]: lt[o + j + 1]].strip() for j in range(e - o) if j not in texts):
        return None  # text beside child elements ("mixed content"): the full parser decides
    start = [*a_start.tolist(), *(tag_end[d] for d in leaves.tolist())]
    stop = [*a_stop.tolist(), *lt[o + leaves + 1].tolist()]
    bounds = [int(lt[o]), *(x for pair in zip(start, stop, strict=True) for x in pair),
              tag_end[-1]]
    run = [data[a:b] for a, b in zip(bounds[0::2], bounds[1::2], strict=True)]
    return leaves, run


def _walk(data: bytes, lt: np.ndarray, o: np.ndarray, room: np.ndarray, a_start: np.ndarray,
          a_stop: np.ndarray, leaves: np.ndarray, run: list[bytes]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lay a template's runs over the points starting at ``lt[o]`` (the first is the
    template): the value ranges (points × values: attributes, then leaf texts) and which
    points match it byte for byte. ``room``: where the next point starts."""
    a, size = a_start.shape[1], np.array([len(r) for r in run], dtype=np.int32)
    m, v = o.size, a + leaves.size
    r_start = np.empty((m, v + 1), dtype=np.int32)
    r_start[:, 0] = lt[o]
    r_start[:, 1: a + 1] = a_stop
    r_start[:, a + 1:] = lt[o[:, None] + leaves + 1]  # the '<' after each leaf's text
    start = np.empty((m, v), dtype=np.int32)
    start[:, :a] = a_start
    start[:, a:] = r_start[:, a: v] + size[a: v]  # a leaf's text follows its run
    r_stop = np.empty_like(r_start)
    r_stop[:, :v] = start
    r_stop[:, v] = r_start[:, v] + size[v]
    ok = (r_stop - r_start == size).all(axis=1) & (r_start[:, 1:] >= r_stop[:, :-1]).all(axis=1)
    ok &= r_stop[:, v] <= room
    r_start[~ok] = r_stop[~ok] = r_start[~ok, :1]  # (empty: offsets stay in order)
    return start, r_start[:, 1:], _same_runs(data, r_start, r_stop, run) & ok


def _same_runs(data: bytes, r_start: np.ndarray, r_stop: np.ndarray, run: list[bytes]
               ) -> np.ndarray:
    """Which rows of markup runs ``data[r_start:r_stop]`` (points × runs, in document order)
    equal ``run``, byte for byte.

    Run by run, Arrow compares the runs of all rows in place: a binary array viewing the
    document (no copy) whose entries alternate run and gap."""
    whole = pa.py_buffer(data)
    ok = np.ones(r_start.shape[0], dtype=bool)
    offsets = np.empty(2 * ok.size, dtype=np.int32)
    for k, expected in enumerate(run):
        offsets[0::2], offsets[1::2] = r_start[:, k], r_stop[:, k]
        view = pa.Array.from_buffers(pa.binary(), offsets.size - 1,
                                     [None, pa.py_buffer(offsets), whole])
        ok &= pc.equal(view, pa.scalar(expected, pa.binary())).to_numpy(
            zero_copy_only=False)[0::2]
    return ok


def _skeleton(data: bytes, lo: np.ndarray, hi: np.ndarray, group_of_tpl: np.ndarray,
              t_lo: np.ndarray, t_hi: np.ndarray, after: int) -> bytes | None:
    """The document with each run of sibling points ``data[lo:hi]`` replaced by its
    template points (``data[t_lo:t_hi]`` of those in the group) and a marker element.

    None if a namespace is declared past ``after`` (the root's start tag) outside the
    points: then points of one markup could differ in meaning."""
    pieces, at = [], 0
    marker = f"<{_MARKER}/>".encode()
    tpl = iter(zip(group_of_tpl.tolist(), t_lo.tolist(), t_hi.tolist(), strict=True))
    nxt = next(tpl, None)
    for g, (a, b) in enumerate(zip(lo.tolist(), hi.tolist(), strict=True)):
        if data.find(b"xmlns", max(at, after), a) >= 0:
            return None
        pieces.append(data[at:a])
        while nxt is not None and nxt[0] == g:
            pieces.append(data[nxt[1]:nxt[2]])
            nxt = next(tpl, None)
        pieces.append(marker)
        at = b
    if data.find(b"xmlns", max(at, after)) >= 0:
        return None
    pieces.append(data[at:])
    return b"".join(pieces)


def _skeleton_parts(root: ET.Element, point: str, containers: tuple[str, ...], groups: int,
                    templates: int) -> tuple[list[ET.Element], dict[str, np.ndarray]] | None:
    """The template points of a parsed skeleton and, per container name, the number of the
    container around each group marker (-1: none); markers and templates are then removed.
    None when the counts disagree (points under another name, or a clashing element)."""
    ns = namespace(root.tag)
    marks, tpl, parent = [], [], {}
    ordinal: dict[str, list[ET.Element]] = {c: [] for c in containers}
    for el in root.iter():
        name = local(el.tag)
        if name == _MARKER:
            marks.append(el)
        elif name == point:
            tpl.append(el)
        if name in ordinal and el.tag == f"{ns}{name}":
            ordinal[name].append(el)
        for child in el:
            parent[child] = el
    if (len(marks) != groups or len(tpl) != templates
            or any(el.tag != f"{ns}{point}" for el in tpl)):
        return None
    mark_no = {id(m): g for g, m in enumerate(marks)}
    around = {}
    for name, elems in ordinal.items():
        k = np.full(groups, -1, dtype=np.int64)
        for i, c in enumerate(elems):
            for m in c.iter(marks[0].tag):
                k[mark_no[id(m)]] = i
        around[name] = k
    for el in (*marks, *tpl):
        parent[el].remove(el)
    return tpl, around


def _layout_columns(data: bytes, arr: np.ndarray, n: int, layouts: list[_Layout],
                    labels: list[str], kinds: np.ndarray
                    ) -> tuple[dict[str, np.ndarray], dict[str, pl.Series],
                               dict[str, pl.Series]]:
    """Point columns from the layouts' values (``layout.codes``: each value's label).
    Numbers: the first finite value of a label within a point wins; texts: the first
    non-blank one, stripped; attributes as written. Texts (keyed by ``label[1:]``) and
    attributes (keyed by label) are returned as strings, except texts that are all device
    times: those come parsed, in the third dict (see :attr:`Doc.times`)."""
    out: dict[int, np.ndarray] = {}  # numbers of a label
    pick: dict[int, np.ndarray] = {}  # start and stop of a label's text (-1: none)
    for lay in layouts:
        row, pts = lay.codes, lay.points
        cs, first, count = np.unique(row[row >= 0], return_index=True, return_counts=True)
        once = (count == 1) & (kinds[cs] == _NUMBER)
        k = np.flatnonzero(row >= 0)[first[once]]
        by_place = np.argsort(k)  # values in document order
        if k.size:  # numbers: one parse for the whole layout
            values = _numbers_at(data, lay.start[:, k[by_place]], lay.stop[:, k[by_place]])
            for i, c in enumerate(cs[once][by_place].tolist()):
                out.setdefault(c, np.full(n, np.nan))[pts] = values[:, i]
        for c in cs[~once].tolist():
            k = np.flatnonzero(row == c)
            s, e = lay.start[:, k], lay.stop[:, k]
            if kinds[c] == _NUMBER:
                ok = np.isfinite(_numbers_at(data, s, e))
            elif kinds[c] == _TEXT:
                ok = ~_blank(data, arr, s.ravel(), e.ravel()).reshape(s.shape)
            else:
                ok = np.ones(s.shape, dtype=bool)
            first_ok = ok.argmax(axis=1)
            has = ok.any(axis=1)
            s, e = s[np.arange(pts.size), first_ok][has], e[np.arange(pts.size), first_ok][has]
            if kinds[c] == _NUMBER:
                out.setdefault(c, np.full(n, np.nan))[pts[has]] = _numbers_at(data, s, e)
            else:
                pick.setdefault(c, np.full((2, n), -1, dtype=np.int64))[:, pts[has]] = s, e
    cols: dict[str, np.ndarray] = {}
    txt: dict[str, pl.Series] = {}
    times: dict[str, pl.Series] = {}
    for c, label in enumerate(labels):
        if kinds[c] == _NUMBER:
            if c in out and not np.isnan(out[c]).all():
                cols[label] = out[c]
            continue
        at = pick.get(c, np.full((2, n), -1, dtype=np.int64))
        has = np.flatnonzero(at[0] >= 0)
        s, e = at[0, has], at[1, has]
        parsed = (device_times(_zulu_at(arr, s, e)) if kinds[c] == _TEXT and has.size == n
                  else None)
        if parsed is not None:
            times[label[1:]] = parsed
            continue
        values = _slices(data, s, e - s).alias(label[1:])
        if kinds[c] == _TEXT and (_WS[arr[s]] | _WS[arr[e - 1]]).any():
            values = values.str.strip_chars()
        if kinds[c] == _TEXT and data.find(b"\r") >= 0:  # XML reads "\r\n", "\r" as "\n"
            values = values.str.replace_all("\r\n?", "\n")
        if kinds[c] == _ATTR and _any_below_32(arr, s, e):
            # line ends so normalized, each blank of an attribute value becomes a space
            values = values.str.replace_all("\r\n", " ", literal=True).str.replace_all(
                "[\t\n\r]", " ")
        txt[label[1:] if kinds[c] == _TEXT else label] = values if has.size == n else (
            pl.Series(label[1:], dtype=pl.String).extend_constant(None, n).scatter(has, values))
    return cols, txt, times


def _byte_rows(arr: np.ndarray, start: np.ndarray, width: int) -> np.ndarray:
    """The bytes ``arr[s:s + width]`` for each ``s`` of ``start`` as the rows of a matrix
    (each ``s + width <= arr.size``)."""
    return np.lib.stride_tricks.as_strided(arr, shape=(arr.size - width + 1, width),
                                           strides=(1, 1))[start]


def _any_below_32(arr: np.ndarray, start: np.ndarray, stop: np.ndarray) -> bool:
    """Whether any of the short texts ``arr[start:stop]`` holds a byte below 32."""
    width = int((stop - start).max(initial=0))
    if width == 0:
        return False
    if int(start.max()) + width > arr.size:
        return any((arr[a:b] < 32).any() for a, b in zip(start.tolist(), stop.tolist(),
                                                          strict=True))
    rows = _byte_rows(arr, start, width)
    return bool(((rows < 32) & (np.arange(width) < (stop - start)[:, None])).any())


def _numbers_at(data: bytes, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """The numbers written at ``data[start:stop]`` (ranges in document order, any shape):
    NaN where a value is not a finite number."""
    number = _numbers(_arrow_slices(data, start.ravel(), (stop - start).ravel()))
    return np.where(np.isfinite(number), number, np.nan).reshape(start.shape)


def _blank(data: bytes, arr: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Whether each text ``data[start:stop]`` is empty or whitespace."""
    blank = stop == start
    padded = np.flatnonzero(~blank & _WS[arr[start]])
    if padded.size:
        blank[padded] = (_slices(data, start[padded], stop[padded] - start[padded])
                         .str.strip_chars().str.len_bytes() == 0).to_numpy()
    return blank


def _numbers(strings: pa.Array) -> np.ndarray:
    """Strings → float64, NaN where not a number; blanks around a number are allowed.

    Arrow's parser (``pyarrow.compute.cast``) reads a column of clean numbers; a column with
    anything else goes to polars, which reads the same numbers (both implement
    ``fast_float``; "nan", "inf" and exponents alike) and gives null for the rest."""
    try:
        return pc.cast(strings, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    text = pl.Series(strings, dtype=pl.String)
    number = text.cast(pl.Float64, strict=False).to_numpy().copy()
    retry = np.flatnonzero(np.isnan(number) & text.is_not_null().to_numpy())
    if retry.size:  # padded numbers (" 12.5 ")
        number[retry] = text.gather(retry).str.strip_chars().cast(
            pl.Float64, strict=False).to_numpy()
    return number


def _slices(data: bytes, start: np.ndarray, length: np.ndarray) -> pl.Series:
    """Disjoint, ordered byte ranges of ``data`` (valid UTF-8) as a polars String series."""
    return pl.Series(_arrow_slices(data, start, length), dtype=pl.String)


def _arrow_slices(data: bytes, start: np.ndarray, length: np.ndarray) -> pa.Array:
    """Disjoint, ordered byte ranges of ``data`` (valid UTF-8) as an Arrow string array:
    one view of the whole document whose offsets alternate range start/end, of which the
    even entries (the ranges, not the gaps between them) are taken."""
    if start.size == 0:
        return pa.array([], pa.string())
    offsets = np.empty(2 * start.size, dtype=np.int32)  # documents are < 2 GiB
    offsets[0::2] = start
    offsets[1::2] = start + length
    view = pa.StringArray.from_buffers(2 * start.size - 1, pa.py_buffer(offsets),
                                       pa.py_buffer(data))
    return view.take(np.arange(0, 2 * start.size, 2, dtype=np.int32))



def _zulu_at(arr: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray | None:
    """:func:`_zulu_micros` of the texts ``arr[start:stop]`` of a document."""
    width = int(stop[0] - start[0]) if start.size else 0
    if width not in (20, 24, 27) or (stop - start != width).any():
        return None
    return zulu_rows(_byte_rows(arr, start, width))
