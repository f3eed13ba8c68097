"""`safe_xml`: a DTD is refused in every encoding expat reads, before anything expands.

The C parser under it would expand an internal entity (a bomb) if it were ever handed one;
the first test shows that it does, in each encoding, so the refusals below are the guard's.
"""

from __future__ import annotations

import codecs
import io
import typing as t
import xml.etree.ElementTree as ET

import pytest

from tap_webinars import safe_xml
from tap_webinars.sandbox.scenarios import XML_BOMB, XML_EXTERNAL_ENTITY

SMALL_ENTITY = '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY e "expanded">]>\n<d>&e;</d>\n'


def encoded(document: str, encoding: str) -> bytes:
    """*document* in *encoding*: its declaration names it; `utf-8-sig` adds a BOM to UTF-8.

    `utf-16` writes a byte order mark; `utf-16-le` and `utf-16-be` write none (declared as
    `UTF-16`, the name expat reads either way round; it reads `UTF-16LE` as no encoding).
    """
    name = {"utf-8-sig": "UTF-8", "utf-16-le": "UTF-16", "utf-16-be": "UTF-16"}.get(
        encoding, encoding.upper()
    )
    text = document.replace('<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{name}"?>')
    return text.encode(encoding)


ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"]


class Trickle:
    """A readable source giving *size* bytes a read: a prologue split across chunks."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data, self._size = data, size

    def read(self, size: int = -1) -> bytes:
        del size
        chunk, self._data = self._data[: self._size], self._data[self._size :]
        return chunk


def parse_both(data: bytes) -> list[t.Callable[[], t.Any]]:
    return [
        lambda: safe_xml.fromstring(data),
        lambda: list(safe_xml.iterparse(io.BytesIO(data), events=("start", "end"))),
        lambda: list(safe_xml.iterparse(Trickle(data, 3))),
    ]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_the_bare_c_parser_would_expand_entities(encoding: str) -> None:
    data = encoded(SMALL_ENTITY, encoding)
    if encoding == "utf-8-sig":
        assert data.startswith(codecs.BOM_UTF8)
    if encoding == "utf-16":
        assert data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    if encoding in ("utf-16-le", "utf-16-be"):
        assert data[:2] not in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    assert ET.fromstring(data).text == "expanded"


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("document", [SMALL_ENTITY, XML_BOMB, XML_EXTERNAL_ENTITY])
def test_a_dtd_is_refused_in_every_encoding(encoding: str, document: str) -> None:
    data = encoded(document, encoding)
    for parse in parse_both(data):
        with pytest.raises(safe_xml.DTDForbidden):
            parse()


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_dtd_in_utf16_without_declaration_or_bom_is_refused(encoding: str) -> None:
    data = SMALL_ENTITY.replace('<?xml version="1.0"?>\n', "").encode(encoding)
    assert ET.fromstring(data).text == "expanded"
    for parse in parse_both(data):
        with pytest.raises(safe_xml.DTDForbidden):
            parse()


def test_an_html_page_is_refused_as_a_dtd() -> None:
    for parse in parse_both(b"<!DOCTYPE html><html><body>502</body></html>"):
        with pytest.raises(safe_xml.DTDForbidden, match="html"):
            parse()


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_plain_documents_parse_in_every_encoding(encoding: str) -> None:
    document = '<?xml version="1.0"?>\n<a x="1"><b>caf\u00e9 &amp; t\u00e9</b><b/></a>\n'
    data = encoded(document, encoding)
    assert safe_xml.fromstring(data).findtext("b") == "caf\u00e9 & t\u00e9"
    for source in (io.BytesIO(data), Trickle(data, 5)):
        events = [(kind, e.tag) for kind, e in safe_xml.iterparse(source, ("start", "end"))]
        assert events == [
            ("start", "a"),
            ("start", "b"),
            ("end", "b"),
            ("start", "b"),
            ("end", "b"),
            ("end", "a"),
        ]


@pytest.mark.parametrize(
    "data",
    [
        b"<a>&undeclared;</a>",
        b"<a><b></a>",
        b"",
        b"<a>",
        b"<?xml version='1.0'?><!-- x",
    ],
)
def test_malformed_documents_are_parse_errors(data: bytes) -> None:
    for parse in parse_both(data):
        with pytest.raises(ET.ParseError):
            parse()


@pytest.mark.parametrize("name", ["UTF-16LE", "UTF-16BE", "UCS-2", "UTF-32"])
def test_a_dtd_under_an_encoding_name_expat_lacks_is_never_expanded(name: str) -> None:
    codec = {"UTF-16BE": "utf-16-be", "UTF-32": "utf-32"}.get(name, "utf-16-le")
    data = SMALL_ENTITY.replace('version="1.0"', f'version="1.0" encoding="{name}"').encode(codec)
    for parse in parse_both(data):
        with pytest.raises((safe_xml.DTDForbidden, ET.ParseError)):
            parse()


def test_a_silenced_pull_tree_queues_no_more_events_and_still_builds_the_tree() -> None:
    """The report reader silences the events at `viewers`: none may pile up after that."""
    tree = safe_xml.PullTree(("start", "end"))
    tree.feed(b"<a><b/>")
    assert [(kind, e.tag) for kind, e in tree.events] == [
        ("start", "a"),
        ("start", "b"),
        ("end", "b"),
    ]
    tree.events.clear()
    tree.silence()
    tree.feed(b"<c><d/></c>" * 1000 + b"<e/></a>")
    assert not tree.events
    root = tree.close()
    assert [child.tag for child in root][:2] == ["b", "c"] and len(root) == 1002
    with pytest.raises(safe_xml.DTDForbidden):
        safe_xml.PullTree().feed(b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>')
