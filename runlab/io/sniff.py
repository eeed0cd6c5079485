"""Format by content, not by extension."""

from __future__ import annotations

__all__ = ["detect_bytes", "csv_separator"]

_GZIP = b"\x1f\x8b"
_ZIP = b"PK\x03\x04"
#: Tags that make an XML document TCX or GPX (also when the root element is missing or
#: damaged, so the right reader reports what is wrong with it).
_TCX_TAGS = (b"<trainingcenterdatabase", b"<activities>", b"<trackpoint>")
_GPX_TAGS = (b"<gpx", b"<trkpt ", b"<trkseg>")


def _utf8_head(head: bytes) -> bytes:
    """The head without BOM and leading whitespace, transcoded from UTF-16 if need be."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(head) > 3 and head[1:4:2] == b"\x00\x00"
                                                 and head[0:1] == b"<"):
        enc = "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-16-le"
        head = head[: len(head) // 2 * 2].decode(enc, errors="ignore").encode("utf-8")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.lstrip()


def detect_bytes(head: bytes) -> str | None:
    """Format of a file from its first bytes (≥ 512 recommended).

    Returns ``"fit"``, ``"gzip"``, ``"zip"``, ``"tcx"``, ``"gpx"``, ``"xml"`` (other XML),
    ``"json"``, ``"csv"`` (text that looks tabular) or ``None`` (unknown / binary).
    """
    if len(head) >= 12 and head[0] in (12, 14) and head[8:12] == b".FIT":
        return "fit"
    if head.startswith(_GZIP):
        return "gzip"
    if head.startswith(_ZIP):
        return "zip"
    text = _utf8_head(head)
    if text.startswith(b"<"):
        low = text.lower()
        if any(tag in low for tag in _TCX_TAGS):
            return "tcx"
        if any(tag in low for tag in _GPX_TAGS):
            return "gpx"
        return "xml"
    if text[:1] in (b"{", b"["):
        return "json"
    if text and b"\x00" not in text[:512]:
        first = text.split(b"\n", 1)[0]
        if first.count(b",") or first.count(b";") or first.count(b"\t"):
            return "csv"
    return None


def csv_separator(first_line: str) -> str:
    """The separator of a delimited text table: whichever of ``,`` ``;`` tab its header
    line has most of."""
    return max((",", ";", "\t"), key=first_line.count)
