"""A listing's pages kept as the bytes they came as: each item built once, when it is used.

A listing read in full before it is used (one that must prove a read of all its pages
consistent first) needs of each item only a field or two on that first read: its
key, whether it answered a survey. msgspec reads those fields and skips the rest without
building objects (`envelope`, `fields`); `PageSpool` then keeps each page's items as one
JSON array of their bytes, a few megabytes in memory and the rest in a temporary file, and
builds the objects once, as the caller reads them back.

Every verdict stays the standard json module's, which `decode_json` reads bodies with: a body
msgspec does not read (NaN, another charset, a byte order mark, a lone surrogate) is left
to it (`envelope` gives None), and an item msgspec does not build is built by `json.loads`.
msgspec keeps big integers exact and the last of duplicate keys, as `json.loads` does.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
import typing as t

import msgspec
import requests

# Items kept in memory as JSON before the rest go to a temporary file; as bytes a listing's
# items are a fraction of what they are as objects.
PAGES_MEMORY_BYTES = 1 << 22

_CACHE = "_tap_webinars_envelope"
_NO_ENVELOPE = object()  # cached: the body is left to the standard json module
_decode_any = msgspec.json.Decoder().decode


class Envelope(t.NamedTuple):
    """A page's envelope as `envelope` reads it."""

    total: t.Any  # as sent
    items: list[msgspec.Raw] | msgspec.UnsetType | None  # each item as its bytes
    # Each item's key as sent (None where it has none), when asked for; None when not asked,
    # or when an item is not an object.
    keys: list[t.Any] | None


def decode(document: bytes | bytearray | memoryview | msgspec.Raw) -> t.Any:
    """A JSON document as `json.loads` reads it, built by msgspec where it can."""
    try:
        return _decode_any(document)
    except msgspec.MsgspecError:
        return json.loads(bytes(document))


def envelope(
    response: requests.Response, items_key: str, total_key: str, key: str | None = None
) -> Envelope | None:
    """The page's total and items (each as its bytes), read once; None: for `json.loads`.

    With *key*, each item's value of that field too, read in the same way (the field is
    what tells two items apart); an item that is not an object then leaves `keys` None.
    None too when the body is not an object with a list of items: the standard reading then
    says what is wrong, as it did before. Bytes that are not UTF-8 are refused here, as
    json.loads refuses them; msgspec does not look inside the strings it skips.
    """
    cache = response.__dict__.setdefault(_CACHE, {})
    asked = (items_key, total_key, key)
    cached = cache.get(asked)
    if cached is None:
        cached = cache[asked] = _read_envelope(response, items_key, total_key, key)
    return None if cached is _NO_ENVELOPE else t.cast("Envelope", cached)


def _read_envelope(
    response: requests.Response, items_key: str, total_key: str, key: str | None
) -> object:
    if (response.encoding or "utf-8").lower().replace("_", "-") not in ("utf-8", "utf8"):
        return _NO_ENVELOPE
    body = response.content
    try:
        read = _envelope_decoder(items_key, total_key).decode(body)
        if not body.isascii():
            body.decode("utf-8", "surrogatepass")  # what json.loads accepts of bytes
    except (msgspec.MsgspecError, UnicodeDecodeError):
        return _NO_ENVELOPE
    keys = None
    if key is not None and isinstance(read.items, list):
        try:
            keys = [item.key for item in _keys_decoder(items_key, key).decode(body).items]
        except msgspec.ValidationError:
            keys = None  # an item is not an object
    return Envelope(read.total, read.items, keys)


@functools.cache
def _envelope_decoder(items_key: str, total_key: str) -> msgspec.json.Decoder[t.Any]:
    shape = msgspec.defstruct(
        "Envelope",
        [
            ("total", t.Any, None),
            ("items", list[msgspec.Raw] | None | msgspec.UnsetType, msgspec.UNSET),
        ],
        rename={"total": total_key, "items": items_key},
    )
    return msgspec.json.Decoder(shape)


@functools.cache
def _keys_decoder(items_key: str, key: str) -> msgspec.json.Decoder[t.Any]:
    item = msgspec.defstruct("Key", [("key", t.Any, None)], rename={"key": key})
    shape = msgspec.defstruct(
        "Keys",
        [("items", list[item] | None | msgspec.UnsetType, msgspec.UNSET)],  # type: ignore[valid-type]
        rename={"items": items_key},
    )
    return msgspec.json.Decoder(shape)


def fields(item: msgspec.Raw | bytes, names: tuple[str, ...]) -> dict[str, t.Any]:
    """The named fields of one JSON object (those it has), the rest skipped unbuilt."""
    try:
        read = _fields_decoder(names).decode(item)
    except msgspec.MsgspecError:
        whole = decode(item)
        return {name: whole[name] for name in names if name in whole}
    return {
        name: value
        for name, value in zip(names, msgspec.structs.astuple(read), strict=True)
        if value is not msgspec.UNSET
    }


@functools.cache
def _fields_decoder(names: tuple[str, ...]) -> msgspec.json.Decoder[t.Any]:
    # Positional attribute names: a JSON key need not be a Python identifier.
    attributes = [f"f{i}" for i in range(len(names))]
    shape = msgspec.defstruct(
        "Fields",
        [(a, t.Any, msgspec.UNSET) for a in attributes],
        rename=dict(zip(attributes, names, strict=True)),
    )
    return msgspec.json.Decoder(shape)


def fields_of_each(
    items: t.Sequence[msgspec.Raw | bytes], names: tuple[str, ...]
) -> list[dict[str, t.Any]]:
    """`fields` of each item (JSON objects' bytes), read in one pass where all are objects."""
    if not items:
        return []
    try:
        read = _each_decoder(names).decode(b"[" + b",".join(items) + b"]")
    except msgspec.MsgspecError:
        return [fields(item, names) for item in items]
    return [
        {
            name: value
            for name, value in zip(names, msgspec.structs.astuple(one), strict=True)
            if value is not msgspec.UNSET
        }
        for one in read
    ]


@functools.cache
def _each_decoder(names: tuple[str, ...]) -> msgspec.json.Decoder[t.Any]:
    shape = _fields_decoder(names).type
    return msgspec.json.Decoder(list[shape])  # type: ignore[valid-type]


class PageSpool:
    """A listing's items, appended a page at a time as their bytes, read back as objects."""

    def __init__(self) -> None:
        self._memory: list[bytes] = []
        self._memory_bytes = 0
        self._file: t.IO[bytes] | None = None
        self._sizes: list[int] = []  # of the arrays in the file, in order
        self._count = 0

    def append_page(self, items: t.Sequence[msgspec.Raw | bytes]) -> None:
        """Add one page's items (each a JSON object's bytes) at the end."""
        if not items:
            return
        array = b"[" + b",".join(items) + b"]"
        self._count += len(items)
        if self._file is None and self._memory_bytes + len(array) <= PAGES_MEMORY_BYTES:
            self._memory.append(array)
            self._memory_bytes += len(array)
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._file.seek(0, os.SEEK_END)
        self._file.write(array)
        self._sizes.append(len(array))

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> t.Iterator[dict[str, t.Any]]:
        for array in self._memory:
            yield from decode(array)
        if self._file is not None:
            self._file.seek(0)
            for size in self._sizes:
                yield from decode(self._file.read(size))

    def close(self) -> None:
        """Free the memory and delete the temporary file."""
        self._memory = []
        self._memory_bytes = 0
        self._sizes = []
        self._count = 0
        if self._file is not None:
            self._file.close()
            self._file = None
