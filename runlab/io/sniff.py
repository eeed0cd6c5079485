"""Format by content, not by extension."""

from __future__ import annotations

__all__ = ["detect_bytes"]

_GZIP = b"\x1f\x8b"
_ZIP = b"PK\x03\x04"
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


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
    text = head
    for bom in _BOMS:
        if text.startswith(bom):
            text = text[len(bom):]
            break
    text = text.lstrip()
    if text.startswith(b"<"):
        low = text.lower()
        if b"<trainingcenterdatabase" in low:
            return "tcx"
        if b"<gpx" in low:
            return "gpx"
        return "xml"
    if text[:1] in (b"{", b"["):
        return "json"
    if text and b"\x00" not in text[:512]:
        first = text.split(b"\n", 1)[0]
        if first.count(b",") or first.count(b";") or first.count(b"\t"):
            return "csv"
    return None
