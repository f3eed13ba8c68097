"""Listing pages kept as bytes (raw_pages): json.loads's verdicts, items back in order."""

from __future__ import annotations

import json

import pytest
import requests

from tap_webinars import raw_pages
from tap_webinars.client import OffsetTotalPaginator
from tap_webinars.errors import PayloadError


def page(body: bytes, encoding: str | None = "utf-8") -> requests.Response:
    """A response as the HTTP layer hands it to a check (no request is made)."""
    response = requests.Response()
    response._content = body  # a body without a server
    response.encoding = encoding
    response.status_code = 200
    response.url = "https://api.example.com/v2/client/1/event/2/attendee?pageOffset=0"
    return response


@pytest.mark.parametrize(
    "body",
    [
        b'{"total":1,"items":[{"a":"\xff"}]}',  # not UTF-8 inside an item
        b'{"total":1,"other":"\xc0\x80","items":[]}',  # not UTF-8 where nothing is read
        b'{"total":1,"items":[{"a":NaN}]}',  # json.loads reads NaN
        b'\xef\xbb\xbf{"total":1,"items":[]}',  # a byte order mark
        b'{"total":1,"items":[{"a":1}]} trailing',
        b"<html>502 Bad Gateway</html>",
        b'["not", "an", "envelope"]',
        b'{"total":1,"items":{"a":1}}',
    ],
)
def test_envelope_leaves_to_json_loads_what_msgspec_does_not_read_as_it(body: bytes) -> None:
    assert raw_pages.envelope(page(body), "items", "total") is None


def test_envelope_leaves_other_charsets_to_json_loads() -> None:
    body = '{"total":1,"items":[{"a":"é"}]}'.encode("utf-16")
    assert raw_pages.envelope(page(body, "utf-16"), "items", "total") is None


def test_envelope_reads_the_total_and_each_item_as_its_bytes() -> None:
    body = b'{"items":[ {"a":1} ,{"b":"\xc3\xa9"}],"total":"2","x":[1,2]}'
    read = raw_pages.envelope(page(body), "items", "total")
    assert read is not None
    assert read.total == "2"
    assert not isinstance(read.items, type(raw_pages.msgspec.UNSET))
    assert [bytes(item) for item in read.items or []] == [b'{"a":1}', b'{"b":"\xc3\xa9"}']
    missing = raw_pages.envelope(page(b'{"total":0}'), "items", "total")
    assert missing is not None
    assert missing.items is raw_pages.msgspec.UNSET


@pytest.mark.parametrize(
    "document",
    [
        b'{"a":NaN,"b":Infinity}',
        b'{"a":"\\ud800"}',  # a lone surrogate
        b'{"a":"\xed\xa0\x80"}',  # one encoded in the bytes: json.loads passes it
        b'{"a":1e400}',
        b'{"a":123456789012345678901234567890,"a":2,"b":-0.0}',
        b'{"a":"caf\xc3\xa9","b":[true,false,null],"c":{"d":1.5}}',
    ],
)
def test_decode_reads_as_json_loads_reads(document: bytes) -> None:
    decoded = raw_pages.decode(document)
    assert json.dumps(decoded) == json.dumps(json.loads(document))


def test_fields_reads_the_named_fields_it_has() -> None:
    item = b'{"event user id":"7","polls":[],"skip":{"deep":[1,2,3]},"surveys":null}'
    assert raw_pages.fields(item, ("event user id", "surveys", "absent")) == {
        "event user id": "7",
        "surveys": None,
    }
    # msgspec builds neither: json.loads does, the last of duplicate keys winning as ever
    assert raw_pages.fields(b'{"key":"\\udc00","key":"b","c":NaN}', ("key", "c"))["key"] == "b"


def test_page_spool_gives_every_item_in_order_from_memory_and_disk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(raw_pages, "PAGES_MEMORY_BYTES", 200)
    spool = raw_pages.PageSpool()
    pages = [
        [json.dumps({"id": p * 10 + i, "n": "x" * (40 if p % 2 else 0)}).encode() for i in range(5)]
        for p in range(9)
    ]
    for items in pages:
        spool.append_page(items)
    spool.append_page([])
    try:
        assert len(spool) == 45
        expected = [json.loads(item) for items in pages for item in items]
        assert list(spool) == expected
        assert list(spool) == expected  # read again, the same
    finally:
        spool.close()
    assert list(spool) == []


def test_offset_pages_that_only_json_loads_reads_give_their_items_as_bytes_too() -> None:
    pages = OffsetTotalPaginator("items", "total", page_size=2, page_param="p", size_param="s")
    body = b'{"total":"2","items":[{"a":NaN},{"b":"\\ud800","c":1e400}]}'
    items = pages.items(page(body))
    assert pages.total == 2
    assert json.dumps([raw_pages.decode(item) for item in items]) == json.dumps(
        json.loads(body)["items"]
    )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"total":2,"items":[{"a":1},2]}', "a 'items' item is not an object"),
        (b'{"total":2,"items":[{"a":NaN},2]}', "a 'items' item is not an object"),
        (b'{"total":2,"items":null}', "expected a 'items' list"),
        (b'{"total":2}', "expected a 'items' list"),
        (b'{"items":[]}', "no 'total' in the envelope"),
        (b"[]", "expected a JSON object"),
    ],
)
def test_offset_pages_name_what_is_wrong_with_a_page(body: bytes, problem: str) -> None:
    pages = OffsetTotalPaginator("items", "total", page_size=2, page_param="p", size_param="s")
    with pytest.raises(PayloadError, match=problem):
        pages.items(page(body))


def test_envelope_reads_each_items_key_where_asked() -> None:
    body = b'{"total":4,"items":[{"id":7,"x":[{"id":9}]},{"id":"8 "},{"x":1},{"id":null}]}'
    read = raw_pages.envelope(page(body), "items", "total", key="id")
    assert read is not None
    assert read.keys == [7, "8 ", None, None]  # as sent; none where an item has none
    assert raw_pages.envelope(page(body), "items", "total").keys is None  # not asked
    not_objects = raw_pages.envelope(
        page(b'{"total":2,"items":[{"id":1},2]}'), "items", "total", "id"
    )
    assert not_objects is not None
    assert not_objects.keys is None


@pytest.mark.parametrize("key", [None, "a"])
@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"total":2,"items":[{"a":1},2]}', "a 'items' item is not an object"),
        (b'{"total":2,"items":[{"a":1},[{"a":2}]]}', "a 'items' item is not an object"),
        (b'{"total":2,"items":[{"a":1},"{\\"a\\":2}"]}', "a 'items' item is not an object"),
    ],
)
def test_offset_pages_refuse_an_item_that_is_not_an_object_with_a_key_or_without(
    body: bytes, problem: str, key: str | None
) -> None:
    pages = OffsetTotalPaginator(
        "items", "total", page_size=2, page_param="p", size_param="s", key=key
    )
    with pytest.raises(PayloadError, match=problem):
        pages.items(page(body))


def test_offset_pages_give_each_items_key_the_same_way_as_json_loads_reads_them() -> None:
    fast = b'{"total":"3","items":[{"a":1,"k":"x"},{"k":2},{"b":1}]}'
    slow = b'{"total":"3","items":[{"a":NaN,"k":"x"},{"k":2},{"b":1}]}'  # json.loads only
    for body in (fast, slow):
        pages = OffsetTotalPaginator(
            "items", "total", page_size=3, page_param="p", size_param="s", key="k"
        )
        response = page(body)
        assert len(pages.items(response)) == 3
        assert pages.keys(response) == ["x", 2, None]


def test_fields_of_each_reads_as_fields_reads_each_item() -> None:
    items = [
        b'{"surveys":[{"q":1}],"polls":[],"x":{"deep":1}}',
        b'{"polls":[{"p":1}]}',
        b"{}",
        b'{"surveys":null,"polls":NaN}',  # msgspec reads no NaN: each item read alone
    ]
    names = ("surveys", "polls")
    expected = [
        {"surveys": [{"q": 1}], "polls": []},
        {"polls": [{"p": 1}]},
        {},
        {"surveys": None, "polls": json.loads("NaN")},
    ]
    got = raw_pages.fields_of_each(items, names)
    assert json.dumps(got) == json.dumps(expected)
    assert json.dumps(raw_pages.fields_of_each(items[:3], names)) == json.dumps(expected[:3])
    assert raw_pages.fields_of_each([], names) == []
