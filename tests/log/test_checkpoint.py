"""Checkpoint note text as c2sp.org/tlog-checkpoint defines it: formatted exactly, parsed
strictly, and signed and opened as a C2SP signed note."""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.log import merkle, note
from hub.log.checkpoint import Checkpoint, MalformedCheckpoint, format_checkpoint, parse_checkpoint
from tests.log.vectors.generate import mth

ROOT = hashlib.sha256(b"a root").digest()
ROOT_BASE64 = base64.b64encode(ROOT).decode()
# The example in c2sp.org/tlog-checkpoint.
SPEC_EXAMPLE = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)


def test_checkpoint_is_origin_size_and_base64_root_each_on_its_own_line() -> None:
    assert format_checkpoint("hub.example/log", 42, ROOT) == (
        f"hub.example/log\n42\n{ROOT_BASE64}\n"
    )


def test_empty_tree_checkpoint_has_size_zero_and_the_empty_root() -> None:
    assert format_checkpoint("hub.example/log", 0, merkle.EMPTY_ROOT) == (
        "hub.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    )


def test_the_spec_example_parses() -> None:
    checkpoint = parse_checkpoint(SPEC_EXAMPLE)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.extensions == ()
    assert checkpoint.text == SPEC_EXAMPLE


@pytest.mark.parametrize(
    "checkpoint",
    [
        Checkpoint("hub.example/log", 0, merkle.EMPTY_ROOT),
        Checkpoint("hub.example/log", 1, ROOT),
        Checkpoint("hub.example/log", 2**64 - 1, ROOT),
        Checkpoint("any origin, even with spaces", 7, ROOT, ("ext one", "ext two")),
    ],
)
def test_format_and_parse_round_trip(checkpoint: Checkpoint) -> None:
    assert parse_checkpoint(checkpoint.text) == checkpoint
    assert format_checkpoint(**vars(checkpoint)) == checkpoint.text


def test_extension_lines_are_kept_in_order() -> None:
    text = SPEC_EXAMPLE + "first extension\nsecond extension\n"
    assert parse_checkpoint(text).extensions == ("first extension", "second extension")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(SPEC_EXAMPLE[:-1], id="no final newline"),
        pytest.param("", id="empty"),
        pytest.param("example.com/log\n1\n", id="two lines"),
        pytest.param(f"\n1\n{ROOT_BASE64}\n", id="empty origin"),
        pytest.param(f"log\n01\n{ROOT_BASE64}\n", id="leading zero"),
        pytest.param(f"log\n00\n{ROOT_BASE64}\n", id="zero with leading zero"),
        pytest.param(f"log\n-1\n{ROOT_BASE64}\n", id="negative"),
        pytest.param(f"log\n+1\n{ROOT_BASE64}\n", id="plus sign"),
        pytest.param(f"log\n 1\n{ROOT_BASE64}\n", id="leading space"),
        pytest.param(f"log\n1 \n{ROOT_BASE64}\n", id="trailing space"),
        pytest.param(f"log\n1_000\n{ROOT_BASE64}\n", id="underscore"),
        pytest.param(f"log\n1e3\n{ROOT_BASE64}\n", id="exponent"),
        pytest.param(f"log\n\u0661\n{ROOT_BASE64}\n", id="non-ASCII digit"),
        pytest.param(f"log\n{2**64}\n{ROOT_BASE64}\n", id="size beyond uint64"),
        pytest.param(f"log\n\n{ROOT_BASE64}\n", id="empty size"),
        pytest.param("log\n1\n\n", id="empty root"),
        pytest.param("log\n1\nnot base64!\n", id="bad base64"),
        pytest.param(f"log\n1\n{ROOT_BASE64.rstrip('=')}\n", id="unpadded root"),
        pytest.param(f"log\n1\n{base64.b64encode(ROOT[:31]).decode()}\n", id="31-byte root"),
        pytest.param(f"log\n1\n{base64.b64encode(ROOT + b'!').decode()}\n", id="33-byte root"),
        pytest.param(f"log\n1\n{ROOT_BASE64[:-2]}9=\n", id="non-canonical base64"),
        pytest.param(f"log\n1\n{ROOT_BASE64}\n\n", id="empty extension line"),
        pytest.param(f"log\n1\n{ROOT_BASE64}\nx\tz\n", id="control character"),
        pytest.param(f"log\r\n1\n{ROOT_BASE64}\n", id="CRLF"),
    ],
)
def test_malformed_checkpoints_are_rejected(text: str) -> None:
    with pytest.raises(MalformedCheckpoint):
        parse_checkpoint(text)


@pytest.mark.parametrize(
    ("origin", "size", "root_hash", "extensions"),
    [
        ("", 1, ROOT, ()),
        ("two\nlines", 1, ROOT, ()),
        ("log", -1, ROOT, ()),
        ("log", 2**64, ROOT, ()),
        ("log", 1, ROOT[:31], ()),
        ("log", 1, ROOT, ("",)),
        ("log", 1, ROOT, ("ext\nension",)),
    ],
)
def test_format_refuses_what_parse_would_reject(
    origin: str, size: int, root_hash: bytes, extensions: tuple[str, ...]
) -> None:
    with pytest.raises(MalformedCheckpoint):
        format_checkpoint(origin, size, root_hash, extensions)


def test_a_signed_checkpoint_opens_and_parses_back() -> None:
    origin = "hub.example/log"
    root = mth([b"event %d" % i for i in range(5)])
    private_key = Ed25519PrivateKey.generate()
    vkey = note.verifier_key(origin, private_key.public_key().public_bytes_raw())

    signed = note.sign_note(format_checkpoint(origin, 5, root), origin, private_key)
    text, signers = note.open_note(signed, [vkey])

    assert signers == [origin]
    assert parse_checkpoint(text) == Checkpoint(origin, 5, root)
