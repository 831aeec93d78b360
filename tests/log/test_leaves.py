"""Leaf encoding without a database: JCS bytes exactly as the `rfc8785` package makes them,
and the schema that keeps URLs and content hashes out."""

import hashlib
import json
from datetime import UTC, datetime

import pytest
import rfc8785

from hub.log.leaves import LeafRejected, checked_fields, encode_checked, subject_digest
from schemas.common import format_timestamp

AT = datetime(2026, 11, 24, 9, 30, 0, 123456, tzinfo=UTC)


def test_the_leaf_is_jcs_with_fields_in_code_point_order() -> None:
    digest = hashlib.sha256(b'{"k":1}').hexdigest()
    assert subject_digest({"k": 1}) == f"sha256:{digest}"

    fields = checked_fields("referral.status", "NL-MELDPUNT", {"status": "removed", "to": None})
    at = format_timestamp(AT)
    leaf = encode_checked(7, "referral.status", at, "NL-MELDPUNT", f"sha256:{digest}", fields)

    assert leaf == (
        b'{"actor":"NL-MELDPUNT","at":"2026-11-24T09:30:00.123456Z",'
        b'"digest":"sha256:' + digest.encode() + b'",'
        b'"seq":7,"status":"removed","type":"referral.status","v":1}'
    )
    assert rfc8785.dumps(json.loads(leaf)) == leaf


@pytest.mark.parametrize(
    ("type", "actor"),
    [("Report.Received", "GB-IWF"), ("report", "GB-IWF"), ("case.opened", "a/b"), ("x.y", "")],
)
def test_type_and_actor_are_codes(type: str, actor: str) -> None:
    with pytest.raises(LeafRejected):
        checked_fields(type, actor, {})
