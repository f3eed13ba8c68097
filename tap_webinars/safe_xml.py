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

import logging
import typing as t
import xml.etree.ElementTree as ET
from xml.parsers import expat

from tap_webinars.errors import PayloadError

CHUNK_BYTES = 1 << 16
GARBLED_ATTEMPTS = 3  # requests, in all, of an answer that came back garbled

ParseError = ET.ParseError
T = t.TypeVar("T")


class DTDForbidden(Exception):  # noqa: N818 - defusedxml's name, which errors quote
    """The document declares a DTD (and with it, possibly, entities): never parsed further.

    `html_page`: it is `<!DOCTYPE html>` with nothing declared in it, the way a proxy's or a
    login wall's page starts; an entity bomb or external entity needs an internal subset.
    """

    def __init__(self, name: str | None, internal_subset: bool = True) -> None:
        super().__init__(f"DTDForbidden(name={name!r}): a DTD or entity declaration")
        self.name = name
        self.html_page = (name or "").lower() == "html" and not internal_subset


class GarbledAnswerError(PayloadError):
    """Not the XML expected, and nothing hostile either: an HTML page, a body cut short.

    Such an answer is requested again (`GARBLED_ATTEMPTS` in all) before it fails; one
    declaring a DTD or entities is a plain `PayloadError`, never asked for again.
    """


def is_garbled(error: Exception) -> bool:
    """Whether a parser's *error* means a garbled answer rather than a hostile one."""
    if isinstance(error, DTDForbidden):
        return error.html_page
    return isinstance(error, ParseError)


def payload_error(endpoint: str, problem: str, error: Exception) -> PayloadError:
    """The error for an answer *error* made unreadable: garbled (asked again) or refused."""
    kind = GarbledAnswerError if is_garbled(error) else PayloadError
    return kind(endpoint, problem)


def asking_again(read: t.Callable[[], T], logger: logging.Logger, platform: str) -> T:
    """*read*, requested again while its answer comes back garbled (`GARBLED_ATTEMPTS`)."""
    for attempt in range(1, GARBLED_ATTEMPTS + 1):
        try:
            return read()
        except GarbledAnswerError as error:
            if attempt == GARBLED_ATTEMPTS:
                raise
            logger.warning("%s: %s; requesting it again", platform, error)
    raise AssertionError("unreachable")  # pragma: no cover


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
    def _doctype(name: str, _system: str | None, _public: str | None, subset: int) -> None:
        raise DTDForbidden(name, bool(subset))

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
