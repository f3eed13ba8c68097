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
from collections import deque
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


class PullTree:
    """The C parser fed chunk by chunk behind the prologue guard, its events in a queue.

    As `XMLPullParser`, whose own wiring this is (the C parser's `_setevents`, which it and
    `iterparse` call), with two differences that matter in a reader's hottest loop: the
    queue is the caller's to pop (no generator between each event and the caller), and
    `silence` stops the events for the rest of the document, so that a reader that takes
    complete elements from the tree (`ReportReader`: the report's viewers) pays for no
    event of theirs. The tree is still built; the caller removes what it is done with.
    """

    def __init__(self, events: tuple[Event, ...] = ("end",)) -> None:
        self._guard = _PrologueGuard()
        self.events: deque[tuple[str, ET.Element]] = deque()
        self._parser = ET.XMLParser(target=ET.TreeBuilder())  # noqa: S314 - the guard reads first
        self._parser._setevents(self.events, events)  # type: ignore[attr-defined]

    def feed(self, data: bytes) -> None:
        """Parse *data* (the guard first reads the prologue); its events join the queue."""
        if not self._guard.passed:
            self._guard.feed(data)
        self._parser.feed(data)

    def silence(self) -> None:
        """No more events, from the next element on; the queue keeps those already in it."""
        self._parser._setevents(self.events, ())  # type: ignore[attr-defined]

    def close(self) -> ET.Element:
        """The end of the document: its root (ParseError if it ended too soon)."""
        if not self._guard.passed:
            self._guard.feed(b"", final=True)
        root: ET.Element = self._parser.close()
        return root


def chunks(source: t.Any) -> t.Iterator[bytes]:
    """A readable binary *source*, `CHUNK_BYTES` at a time."""
    while data := source.read(CHUNK_BYTES):
        yield data


def iterparse(source: t.Any, events: tuple[Event, ...] = ("end",)) -> t.Iterator[tuple[str, t.Any]]:
    """`ElementTree.iterparse` over a readable binary *source*, refusing DTDs."""
    tree = PullTree(events)
    queue = tree.events
    for data in chunks(source):
        tree.feed(data)
        while queue:
            yield queue.popleft()
    tree.close()
    while queue:
        yield queue.popleft()


def fromstring(content: bytes) -> ET.Element:
    """`ElementTree.fromstring`, refusing DTDs."""
    _PrologueGuard().feed(content, final=True)
    return ET.fromstring(content)  # noqa: S314 - the guard found no DTD in its prologue
