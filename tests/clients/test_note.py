"""Signed notes and checkpoints: the SDK verifies what a C2SP signer wrote and refuses
tampered text, foreign keys, bad key ids and malformed notes."""

import base64
import importlib

import pytest

from clients.audit import (
    AuditError,
    BadSignature,
    KeyMismatch,
    NoteError,
    VerifierKey,
    key_id,
    parse_checkpoint,
    parse_note,
    verify_checkpoint,
)
from tests.clients.tlog import Signer, checkpoint_text
from tests.log.vectors.generate import mth

ORIGIN = "hub.example.org/log"
ROOT = mth([b"a", b"b", b"c"])


def test_verifier_key_round_trips_and_checks_its_key_id() -> None:
    signer = Signer(ORIGIN)
    key = VerifierKey.parse(signer.verifier_key)
    assert key.name == ORIGIN and key.public_key == signer.public
    assert key.key_id == signer.key_id == key_id(ORIGIN, signer.public)
    assert str(key) == signer.verifier_key
    name, _, rest = signer.verifier_key.partition("+")
    with pytest.raises(NoteError, match="key id"):
        VerifierKey.parse(f"{name}+00000000+{rest.partition('+')[2]}")
    with pytest.raises(NoteError):
        VerifierKey.parse("no-plus-signs")
    with pytest.raises(NoteError, match="Ed25519"):
        VerifierKey.parse(f"{name}+{signer.key_id.hex()}+{base64.b64encode(b'x' * 33).decode()}")


def test_a_signed_checkpoint_verifies() -> None:
    signer = Signer(ORIGIN)
    checkpoint = verify_checkpoint(
        signer.sign(checkpoint_text(ORIGIN, 3, ROOT)), signer.verifier_key
    )
    assert (checkpoint.origin, checkpoint.size, checkpoint.root_hash) == (ORIGIN, 3, ROOT)


def test_a_cosigned_note_verifies_with_either_key_and_ignores_unknown_ones() -> None:
    hub, witness = Signer(ORIGIN), Signer("witness.example")
    text = checkpoint_text(ORIGIN, 3, ROOT)
    note = text + "\n" + witness.signature_line(text) + hub.signature_line(text)
    assert verify_checkpoint(note, hub.verifier_key).size == 3
    assert len(parse_note(note).signatures) == 2


@pytest.mark.parametrize(
    "tamper",
    [
        lambda note: note.replace("\n3\n", "\n4\n", 1),
        lambda note: note.replace(ORIGIN, "evil.example/log", 1),
        lambda note: note[:-10] + ("A" if note[-10] != "A" else "B") + note[-9:],
    ],
    ids=["size", "origin", "signature"],
)
def test_a_tampered_checkpoint_is_refused(tamper) -> None:
    signer = Signer(ORIGIN)
    note = tamper(signer.sign(checkpoint_text(ORIGIN, 3, ROOT)))
    with pytest.raises(AuditError):
        verify_checkpoint(note, signer.verifier_key)


def test_a_checkpoint_signed_by_another_key_is_refused() -> None:
    forger = Signer(ORIGIN)
    note = forger.sign(checkpoint_text(ORIGIN, 3, ROOT))
    with pytest.raises(BadSignature, match="not signed by"):
        verify_checkpoint(note, Signer(ORIGIN).verifier_key)


def test_a_checkpoint_of_another_log_is_refused_even_if_signed() -> None:
    signer = Signer("other.example/log")
    with pytest.raises(KeyMismatch):
        verify_checkpoint(signer.sign(checkpoint_text(ORIGIN, 3, ROOT)), signer.verifier_key)


@pytest.mark.parametrize(
    "note",
    [
        "origin\n3\nAAAA\n",  # no signature block
        "origin\n3\n\n— name AAAA\n",  # short signature
        "origin\n3\n\n- name AAAAAAAAAAAA\n",  # not an em dash
        "origin\n3\n\n— name AAAAAAAAAAAA",  # no final newline
        "origin\x07\n3\n\n— name AAAAAAAAAAAA\n",  # control character
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(NoteError):
        parse_note(note)


@pytest.mark.parametrize(
    "text",
    [
        "origin\n03\n" + base64.b64encode(ROOT).decode() + "\n",
        "origin\n-1\n" + base64.b64encode(ROOT).decode() + "\n",
        "origin\n3\n" + base64.b64encode(ROOT[:31]).decode() + "\n",
        "origin\n3\n" + base64.b64encode(ROOT).decode(),
        "origin\n3\n",
        "\n3\n" + base64.b64encode(ROOT).decode() + "\n",
    ],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(NoteError):
        parse_checkpoint(text)


def test_checkpoint_extension_lines_are_kept() -> None:
    text = checkpoint_text(ORIGIN, 3, ROOT) + "extension\n"
    assert parse_checkpoint(text).extensions == ("extension",)


def test_notes_signed_by_the_hubs_signer_verify_in_the_sdk() -> None:
    note_module = importlib.import_module("hub.log.note")
    signer = Signer(ORIGIN)
    text = checkpoint_text(ORIGIN, 3, ROOT)
    note = note_module.sign_note(text, ORIGIN, signer.key)
    assert verify_checkpoint(note, signer.verifier_key).size == 3
    assert note_module.verifier_key(ORIGIN, signer.public) == signer.verifier_key
