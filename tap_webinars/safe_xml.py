"""XML at the speed of the C parser, with DTDs and entities refused before anything expands.

The standard library's `xml.etree.ElementTree` (C-accelerated, expat underneath) would expand
internal entities (a "billion laughs" bomb) and only limits it. A DTD is the one place an
entity can be declared, and it can only stand before the root element, so a document is safe
to hand to the C parser once its prologue holds no `<!DOCTYPE`. That is decided by expat
itself: a second, bare expat parser reads the same bytes up to the root element, with handlers
that raise at the start of any doctype or entity declaration. Expat calls them while it reads
the declaration, before any entity is used, and it applies them to the decoded document, so
the check holds for every encoding expat reads (UTF-8 with or without a byte order mark,
UTF-16 either way round, a declared single-byte charset). A reference to an undeclared entity
is a well-formedness error, which the C parser raises as `ParseError`. A prologue the guard
cannot read (malformed, an encoding it lacks) is a `ParseError` too: the C parser never sees
bytes whose prologue was not checked.
"""

from __future__ import annotations

import typing as t
import xml.etree.ElementTree as ET
from xml.parsers import expat

CHUNK_BYTES = 1 << 16

ParseError = ET.ParseError


class DTDForbidden(Exception):  # noqa: N818 - defusedxml's name, which errors quote
    """The document declares a DTD (and with it, possibly, entities): never parsed further."""

    def __init__(self, name: str | None) -> None:
        super().__init__(f"DTDForbidden(name={name!r}): a DTD or entity declaration")
        self.name = name


class _RootReached(Exception):  # noqa: N818 - a signal, not an error
    """The guard saw the root element's start: no DTD can follow."""


class _PrologueGuard:
    """A bare expat parser fed the document until its root element starts."""

    def __init__(self) -> None:
        self.passed = False
        self._parser = expat.ParserCreate()
        self._parser.StartDoctypeDeclHandler = self._doctype
        self._parser.EntityDeclHandler = self._entity
        self._parser.StartElementHandler = self._root

    @staticmethod
    def _doctype(name: str, *_rest: t.Any) -> None:
        raise DTDForbidden(name)

    @staticmethod
    def _entity(name: str, *_rest: t.Any) -> None:
        raise DTDForbidden(name)

    @staticmethod
    def _root(*_args: t.Any) -> None:
        raise _RootReached

    def feed(self, data: bytes, final: bool = False) -> None:
        """Read *data* of the prologue; DTDForbidden if it declares a DTD."""
        try:
            self._parser.Parse(data, final)
        except _RootReached:
            self.passed = True
        except expat.ExpatError as error:
            problem = ParseError(str(error))
            problem.code, problem.position = error.code, (error.lineno, error.offset)
            raise problem from None
        except (ValueError, LookupError) as error:  # an encoding it cannot read ("UTF-16LE")
            raise ParseError(f"unreadable encoding ({error})") from None


Event = t.Literal["start", "end"]


def iterparse(source: t.Any, events: tuple[Event, ...] = ("end",)) -> t.Iterator[tuple[str, t.Any]]:
    """`ElementTree.iterparse` over a readable binary *source*, refusing DTDs."""
    guard = _PrologueGuard()
    parser: t.Any = ET.XMLPullParser(events=events)  # its events: (kind, element) here
    while True:
        data = source.read(CHUNK_BYTES)
        if not guard.passed:
            guard.feed(data, final=not data)
        if not data:
            break
        parser.feed(data)
        yield from parser.read_events()
    parser.close()
    yield from parser.read_events()


def fromstring(content: bytes) -> ET.Element:
    """`ElementTree.fromstring`, refusing DTDs."""
    _PrologueGuard().feed(content, final=True)
    return ET.fromstring(content)  # noqa: S314 - the guard found no DTD in its prologue
