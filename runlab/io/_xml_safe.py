"""Safe loading of the XML documents runlab reads (TCX, GPX).

Safety
------
A document with a document type declaration (``<!DOCTYPE``) is refused before it is parsed:
without a DTD there can be no entity declarations, so no entity expansion ("billion laughs"),
no external entities and no DTD fetched from the network. What remains — the five predefined
entities and character references — is parsed by the C expat parser of the standard library
(``xml.etree.ElementTree.XMLParser``, which never resolves anything over a network). A DTD
may only appear in the prolog, so the check is exact (a ``<!DOCTYPE`` inside a comment is
refused too, harmlessly). UTF-16 documents are transcoded to UTF-8 before the check.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from runlab.errors import CorruptFileError, FileTooLargeError, ReadError, UnsupportedFormatError

__all__ = ["MAX_XML_BYTES", "parse", "prepare", "parse_prepared", "namespace", "local",
           "check_root"]

#: Largest XML document parsed [bytes]: a 24-hour 1 Hz TCX with every sensor is ~40 MiB.
MAX_XML_BYTES = 256 * 2**20

_BOM8 = b"\xef\xbb\xbf"
_DECL = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"'][^\"']*[\"']")


def parse(data: bytes, path: str, *, max_bytes: int = MAX_XML_BYTES) -> ET.Element:
    """Root element of an XML document, refusing DTDs, huge input and malformed bytes.

    Leading BOMs and whitespace (Strava writes both) are skipped; UTF-16 is transcoded.

    Raises
    ------
    FileTooLargeError
        More than ``max_bytes`` [bytes].
    UnsupportedFormatError
        The document has a DTD (entities could expand or point outside the file).
    CorruptFileError
        Not well-formed XML or not valid in its encoding; the message gives line and column.
    """
    return parse_prepared(prepare(data, path, max_bytes), path)


def prepare(data: bytes, path: str, max_bytes: int = MAX_XML_BYTES) -> bytes:
    """Size limit, UTF-16 → UTF-8, BOM and leading whitespace off, DTDs refused."""
    if len(data) > max_bytes:
        raise FileTooLargeError(path, f"{len(data)} bytes of XML is over the {max_bytes} limit")
    utf16 = _utf16(data[:4])
    if utf16:
        try:
            text = data.decode(utf16)
        except UnicodeDecodeError as exc:
            raise CorruptFileError(path, f"invalid UTF-16 at byte {exc.start}") from exc
        data = _DECL.sub(b'<?xml version="1.0" encoding="UTF-8"', text.encode("utf-8"))
    if data.startswith(_BOM8):
        data = data[3:]
    data = data.lstrip()
    if data.find(b"!") >= 0 and b"<!DOCTYPE" in data:  # find(one byte) is a fast memchr
        raise UnsupportedFormatError(
            path, "XML with a document type declaration (<!DOCTYPE>) is refused: its entities "
                  "could expand without bound or load external files")
    return data


def parse_prepared(data: bytes, path: str) -> ET.Element:
    """Root element of a document :func:`prepare` let through, parsed by expat."""
    parser = ET.XMLParser()
    try:
        parser.feed(data)
        return parser.close()
    except LookupError as exc:  # an encoding Python does not know
        raise CorruptFileError(path, f"unknown character encoding: {exc}") from exc
    except ValueError as exc:  # expat: a declared multi-byte encoding (Shift-JIS, EUC-JP...)
        raise UnsupportedFormatError(path, f"unsupported XML character encoding: {exc}") from exc
    except ET.ParseError as exc:
        line, col = exc.position
        reason = str(exc).split(":")[0]
        if "invalid token" in reason and not _decodes(data):
            reason = "invalid UTF-8 (or undeclared encoding)"
        raise CorruptFileError(path, f"malformed XML at line {line}, column {col}: "
                                     f"{reason}") from exc


def _utf16(head: bytes) -> str | None:
    """The UTF-16 codec of a document, from its BOM or its first ``<`` (None if not UTF-16)."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    if head[:2] == b"<\x00" or head[1:2] == b"<" and head[:1] == b"\x00":
        return "utf-16-le" if head[:1] == b"<" else "utf-16-be"
    return None


def _decodes(data: bytes) -> bool:
    m = re.match(rb"<\?xml[^>]*encoding\s*=\s*[\"']([^\"']+)", data)
    try:
        data.decode(m.group(1).decode("ascii") if m else "utf-8")
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def namespace(tag: str) -> str:
    """``"{ns}name"`` → ``"{ns}"`` (``""`` without a namespace)."""
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""


def local(tag: str) -> str:
    """``"{ns}name"`` → ``"name"``."""
    return tag.rsplit("}", 1)[-1]


def check_root(root: ET.Element, names: Iterable[str], path: str, what: str) -> None:
    """Raise a :class:`ReadError` unless the root element's local name is one of ``names``."""
    if local(root.tag) not in set(names):
        raise ReadError(path, f"not a {what} document (root element <{local(root.tag)}>)")

