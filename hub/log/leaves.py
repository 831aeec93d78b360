"""Exchange log leaves: the RFC 8785 bytes of one event, and the rules that keep every
URL and content hash out of them (docs/protocol.md section 7)."""

import hashlib
import re
from collections.abc import Mapping
from typing import Any

import orjson

from hub.canonical import canonical_json

LEAF_VERSION = 1

_HOTLINE = r"[A-Z]{2}-[A-Z0-9]{2,16}"
_CODE = r"[a-z][a-z_]{0,31}"
_KID = r"[A-Za-z0-9_-]{43}"
# Every field a caller may add, and the only shape its value may have: ids and codes,
# none of which can hold a "/", a ":" or a dot, so no URL or host name fits any of them.
FIELD_PATTERNS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern, re.ASCII)
    for name, pattern in {
        "case": r"cas_[0-9A-Za-z]{1,40}",
        "referral": r"ref_[0-9A-Za-z]{1,40}",
        "hotline": _HOTLINE,
        "from": f"{_HOTLINE}|{_CODE}",
        "to": f"{_HOTLINE}|{_CODE}",
        "country": r"[A-Z]{2}",
        "status": _CODE,
        "kid": _KID,
        "retired_kid": _KID,
        # Protocol 1.1: a CDN provider id and a referral action code.
        "cdn": r"[a-z0-9-]{1,32}",
        "action": _CODE,
    }.items()
}
_TYPE = re.compile(r"[a-z]+(?:\.[a-z_]+)+", re.ASCII)
# A principal's subject (hotline id, an admin's or auditor's label) or "hub".
_ACTOR = re.compile(r"[A-Za-z0-9._-]{1,64}", re.ASCII)
# MD5, SHA-1, SHA-256 and PDQ are 32 to 64 hex digits: no leaf value may hold such a run.
_HEX_RUN = re.compile(r"[0-9a-fA-F]{32,}", re.ASCII)


class LeafRejected(ValueError):
    """A caller tried to log a field or value the leaf schema does not allow."""


def _check(name: str, value: str, pattern: re.Pattern[str]) -> None:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise LeafRejected(f"log field {name!r} may not hold {value!r}")
    if _HEX_RUN.search(value):
        raise LeafRejected(f"log field {name!r} looks like a content hash")


def subject_digest(subject: Any) -> str:
    """``sha256:<hex>`` of the JCS form of the object an event is about."""
    return "sha256:" + hashlib.sha256(canonical_json(subject)).hexdigest()


def checked_fields(type: str, actor: str, fields: Mapping[str, str | None]) -> dict[str, str]:
    """The non-empty `fields` of an event, each checked against the leaf schema; raises
    ``LeafRejected`` for an unknown field, a bad type or actor, or anything shaped like a
    URL or content hash. A request checks its events here, before the sequencer sees them."""
    _check("type", type, _TYPE)
    _check("actor", actor, _ACTOR)
    checked: dict[str, str] = {}
    for name, value in fields.items():
        if value is None or value == "":
            continue
        pattern = FIELD_PATTERNS.get(name)
        if pattern is None:
            raise LeafRejected(f"{name!r} is not a log leaf field")
        _check(name, value, pattern)
        checked[name] = value
    return checked


def encode_checked(
    seq: int, type: str, at: str, actor: str, digest: str, fields: Mapping[str, str]
) -> bytes:
    """The leaf bytes of fields that passed `checked_fields`: JCS of
    ``{"v", "seq", "type", "at", "actor", ...fields, "digest"}``, `at` formatted."""
    event: dict[str, Any] = {
        **fields,
        "v": LEAF_VERSION,
        "seq": seq,
        "type": type,
        "at": at,
        "actor": actor,
        "digest": digest,
    }
    # Every key and value passed a pattern: ASCII without quotes, backslashes or control
    # characters, and small integers; sorted compact JSON of those is their JCS.
    return orjson.dumps(event, option=orjson.OPT_SORT_KEYS)


# "seq" sorts before "status", "to", "type" and "v", and no value holds a quote: in the
# leaf of seq 0 this text occurs exactly once, as the seq field.
_SEQ_ZERO = '"seq":0,'


def leaf_template(type: str, at: str, actor: str, digest: str, fields: Mapping[str, str]) -> str:
    """The leaf of fields that passed `checked_fields` at seq 0, as text: what a request
    queues, so the sequencer only has to write a number in (`with_seq`)."""
    return encode_checked(0, type, at, actor, digest, fields).decode()


def with_seq(template: str, seq: int) -> bytes:
    """The leaf bytes of a `leaf_template` at position `seq`: `encode_checked` with `seq`."""
    return template.replace(_SEQ_ZERO, f'"seq":{seq},', 1).encode()
