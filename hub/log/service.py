"""What auditors and hotlines ask of the log: entries, inclusion and consistency proofs,
checked against the current tree size; bad ranges are `Invalid` naming the query field."""

import base64
import binascii
import json
import re
from typing import Any

from sqlalchemy.orm import Session

from hub.errors import Invalid, NotFound, field_error
from hub.log import merkle, storage

MAX_ENTRIES = 1000
# The largest index a database integer holds; sizes past the log are refused before any
# query, since their Merkle node keys would not fit one (a 500 otherwise).
MAX_INDEX = 2**63 - 1


_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _bad(field: str, msg: str) -> Invalid:
    return Invalid([field_error(["query", field], msg)])


def _beyond_log(session: Session, name: str, tree_size: int) -> Invalid:
    return _bad(name, f"the log holds {storage.size(session)} leaves, not {tree_size}")


def entries(session: Session, start: int, end: int | None) -> dict[str, Any]:
    """The leaves ``[start, end)`` that exist (``end`` defaults to ``start + 1000``)."""
    if end is None:
        end = min(start + MAX_ENTRIES, MAX_INDEX)
    if start > end:
        raise _bad("end", f"must not be below start ({start})")
    if end - start > MAX_ENTRIES:
        raise _bad("end", f"at most {MAX_ENTRIES} entries per request")
    return _items(storage.entries(session, start, end))


def entries_about(session: Session, digest: str) -> dict[str, Any]:
    """The leaves about the object whose digest is `digest` (at most 1000)."""
    if not _DIGEST.fullmatch(digest):
        raise _bad("digest", "must be 'sha256:' and 64 lower-case hex digits")
    return _items(storage.entries_with_digest(session, digest, MAX_ENTRIES))


def _items(rows: list[tuple[int, bytes]]) -> dict[str, Any]:
    return {
        "items": [
            {"index": seq, "leaf_input": _b64(leaf), "event": json.loads(leaf)}
            for seq, leaf in rows
        ]
    }


def _decode_leaf_hash(value: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _bad("leaf_hash", "is not base64") from None
    if len(raw) != merkle.HASH_SIZE:
        raise _bad("leaf_hash", f"is {len(raw)} bytes, not {merkle.HASH_SIZE}")
    return raw


def inclusion(
    session: Session, index: int | None, leaf_hash: str | None, tree_size: int
) -> dict[str, Any]:
    """The proof that leaf ``index`` (or the leaf with ``leaf_hash``) is in the tree of
    ``tree_size`` leaves."""
    if (index is None) == (leaf_hash is None):
        raise Invalid(
            [
                field_error(["query", "index"], "give exactly one of index and leaf_hash"),
                field_error(["query", "leaf_hash"], "give exactly one of index and leaf_hash"),
            ]
        )
    if leaf_hash is not None:
        raw = _decode_leaf_hash(leaf_hash)
        index = storage.index_of(session, raw)
        if index is None:
            raise NotFound("no leaf with this hash is in the log")
        if index >= tree_size:
            raise _bad("tree_size", f"the leaf is at index {index}, not in the first {tree_size}")
    assert index is not None
    if index >= tree_size:
        raise _bad("index", f"must be below tree_size ({tree_size})")
    if tree_size > storage.size(session):
        raise _beyond_log(session, "tree_size", tree_size)
    try:
        leaf_hash_at, proof = storage.inclusion_proof(session, index, tree_size)
    except storage.BeyondLog:
        raise _beyond_log(session, "tree_size", tree_size) from None
    return {
        "index": index,
        "tree_size": tree_size,
        "leaf_hash": _b64(leaf_hash_at),
        "proof": [_b64(value) for value in proof],
    }


def consistency(session: Session, first: int, second: int) -> dict[str, Any]:
    """The proof that the tree of ``first`` leaves is a prefix of the tree of ``second``."""
    if first < 1:
        raise _bad("first", "must be at least 1: every tree extends the empty one")
    if first > second:
        raise _bad("second", f"must not be below first ({first})")
    if second > storage.size(session):
        raise _beyond_log(session, "second", second)
    try:
        proof = storage.consistency_proof(session, first, second)
    except storage.BeyondLog:
        raise _beyond_log(session, "second", second) from None
    return {"first": first, "second": second, "proof": [_b64(value) for value in proof]}
