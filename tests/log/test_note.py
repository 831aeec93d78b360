"""C2SP signed notes as the hub writes and reads them, checked against the published example
of golang.org/x/mod/sumdb/note (the reference implementation) byte for byte."""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.log import note
from hub.log.note import InvalidNoteSignature, MalformedNote, NoteError, UnverifiedNote

# golang.org/x/mod/sumdb/note: package documentation and note_test.go.
PETER_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VERIFIER_KEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIGNATURE = (
    "— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIGNATURE = (
    "— EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)
PETER_NOTE = TEXT + "\n" + PETER_SIGNATURE


def private_key_from_go_signer_key(signer_key: str) -> tuple[str, Ed25519PrivateKey]:
    """``PRIVATE+KEY+<name>+<key id>+<base64(0x01 || seed)>`` as Go's note.NewSigner reads it."""
    private, key, name, _key_id, encoded = signer_key.split("+", 4)
    assert (private, key) == ("PRIVATE", "KEY")
    raw = base64.b64decode(encoded)
    assert raw[0] == note.ALG_ED25519
    return name, Ed25519PrivateKey.from_private_bytes(raw[1:])


PETER_NAME, PETER_PRIVATE_KEY = private_key_from_go_signer_key(PETER_SIGNER_KEY)
PETER_PUBLIC_KEY = PETER_PRIVATE_KEY.public_key().public_bytes_raw()


# --- Keys. ---


def test_key_id_is_sha256_of_name_newline_algorithm_and_key_truncated_to_four_bytes() -> None:
    digest = hashlib.sha256(b"PeterNeumann\n\x01" + PETER_PUBLIC_KEY).digest()
    assert note.key_id("PeterNeumann", PETER_PUBLIC_KEY) == digest[:4]
    assert note.key_id("PeterNeumann", PETER_PUBLIC_KEY).hex() == "c74f20a3"


def test_verifier_key_of_the_go_example_key_is_the_published_string() -> None:
    assert note.verifier_key(PETER_NAME, PETER_PUBLIC_KEY) == PETER_VERIFIER_KEY


def test_verifier_key_string_parses_to_name_key_id_and_public_key() -> None:
    verifier = note.parse_verifier_key(PETER_VERIFIER_KEY)
    assert verifier.name == "PeterNeumann"
    assert verifier.key_id == bytes.fromhex("c74f20a3")
    assert verifier.public_key == PETER_PUBLIC_KEY
    assert verifier.verifier_key == PETER_VERIFIER_KEY
    assert note.parse_verifier_key(ENOCH_VERIFIER_KEY).key_id.hex() == "af0cfe78"


def test_every_mangled_verifier_key_is_rejected() -> None:
    mangled = {
        PETER_VERIFIER_KEY[start:end]
        for start in range(len(PETER_VERIFIER_KEY))
        for end in range(start + 1, len(PETER_VERIFIER_KEY) + 1)
    } - {PETER_VERIFIER_KEY}
    mangled |= {
        PETER_VERIFIER_KEY[:i] + chr(ord(PETER_VERIFIER_KEY[i]) + 1) + PETER_VERIFIER_KEY[i + 1 :]
        for i in range(len(PETER_VERIFIER_KEY))
    }
    for vkey in mangled:
        with pytest.raises(NoteError):
            note.parse_verifier_key(vkey)


@pytest.mark.parametrize(
    "vkey",
    [
        # note_test.go: a 37-byte key and an unknown algorithm byte, each with a matching key id.
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+0xc74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
        "PeterNeumann+c74f20a3",
        "",
    ],
)
def test_malformed_verifier_keys_are_rejected(vkey: str) -> None:
    with pytest.raises(NoteError):
        note.parse_verifier_key(vkey)


def test_key_id_needs_a_32_byte_ed25519_public_key() -> None:
    with pytest.raises(NoteError, match="31 bytes"):
        note.key_id("PeterNeumann", PETER_PUBLIC_KEY[:31])


# --- Signing. ---


def test_signing_the_go_example_reproduces_its_signed_note_byte_for_byte() -> None:
    assert note.sign_note(TEXT, PETER_NAME, PETER_PRIVATE_KEY) == PETER_NOTE


def test_signature_line_is_em_dash_space_name_space_base64_of_key_id_and_signature() -> None:
    line = note.signature_line(TEXT, PETER_NAME, PETER_PRIVATE_KEY)
    assert line.encode("utf-8").startswith(b"\xe2\x80\x94 PeterNeumann ")
    assert line.endswith("=\n")
    raw = base64.b64decode(line.split(" ")[2])
    assert raw[:4] == bytes.fromhex("c74f20a3")
    assert len(raw) == 4 + 64
    PETER_PRIVATE_KEY.public_key().verify(raw[4:], TEXT.encode("utf-8"))


def test_signed_note_is_text_then_a_blank_line_then_the_signature_line() -> None:
    signed = note.sign_note("hub.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
                            "hub.example/log", PETER_PRIVATE_KEY)  # fmt: skip
    text, _, signatures = signed.rpartition("\n\n")
    assert text + "\n" == "hub.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    assert signatures.startswith("— hub.example/log ")
    assert signatures.count("\n") == 1


def test_note_text_must_end_with_a_newline() -> None:
    with pytest.raises(NoteError, match="end with a newline"):
        note.sign_note(TEXT.rstrip("\n"), PETER_NAME, PETER_PRIVATE_KEY)
    with pytest.raises(NoteError, match="end with a newline"):
        note.sign_note("", PETER_NAME, PETER_PRIVATE_KEY)


@pytest.mark.parametrize("text", ["tab\there\n", "carriage\r\n", "nul\x00\n", "\ud800\n"])
def test_note_text_must_be_utf8_without_control_characters(text: str) -> None:
    with pytest.raises(NoteError, match="control characters"):
        note.sign_note(text, PETER_NAME, PETER_PRIVATE_KEY)


@pytest.mark.parametrize(
    "name", ["", "Peter Neumann", "Peter+Neumann", "Peter\tNeumann", "Peter\u00a0Neumann",
             "Peter\u2003Neumann", "Peter\nNeumann", "Peter\x01"]
)  # fmt: skip
def test_key_names_must_be_non_empty_without_spaces_or_plus(name: str) -> None:
    with pytest.raises(NoteError, match="invalid key name"):
        note.sign_note(TEXT, name, PETER_PRIVATE_KEY)
    with pytest.raises(NoteError, match="invalid key name"):
        note.verifier_key(name, PETER_PUBLIC_KEY)


def test_a_fresh_key_signs_a_note_that_opens_with_its_verifier_key() -> None:
    private_key = Ed25519PrivateKey.generate()
    public_key = private_key.public_key().public_bytes_raw()
    signed = note.sign_note("hub.example/log\n1\n", "hub.example/log", private_key)
    vkey = note.verifier_key("hub.example/log", public_key)
    assert note.open_note(signed, [vkey]) == ("hub.example/log\n1\n", ["hub.example/log"])


def test_text_with_blank_lines_is_separated_at_the_last_blank_line() -> None:
    text = "first\n\nsecond\n\n"
    signed = note.sign_note(text, PETER_NAME, PETER_PRIVATE_KEY)
    assert note.open_note(signed, [PETER_VERIFIER_KEY]) == (text, ["PeterNeumann"])


# --- Opening. ---


def test_the_go_example_note_opens_with_the_peter_neumann_key() -> None:
    assert note.open_note(PETER_NOTE, [PETER_VERIFIER_KEY]) == (TEXT, ["PeterNeumann"])
    verifier = note.parse_verifier_key(PETER_VERIFIER_KEY)
    assert note.open_note(PETER_NOTE.encode("utf-8"), [verifier]) == (TEXT, ["PeterNeumann"])


def test_signatures_from_unknown_keys_are_ignored() -> None:
    cosigned = TEXT + "\n" + PETER_SIGNATURE + ENOCH_SIGNATURE
    assert note.open_note(cosigned, [PETER_VERIFIER_KEY]) == (TEXT, ["PeterNeumann"])
    assert note.open_note(cosigned, [ENOCH_VERIFIER_KEY]) == (TEXT, ["EnochRoot"])
    both = [ENOCH_VERIFIER_KEY, PETER_VERIFIER_KEY]
    assert note.open_note(cosigned, both) == (TEXT, ["PeterNeumann", "EnochRoot"])


def test_a_note_without_a_signature_from_a_known_key_is_rejected() -> None:
    with pytest.raises(UnverifiedNote):
        note.open_note(PETER_NOTE, [])
    with pytest.raises(UnverifiedNote):
        note.open_note(PETER_NOTE, [ENOCH_VERIFIER_KEY])


def test_a_key_sharing_only_the_name_or_only_the_key_id_is_an_unknown_key() -> None:
    other_key = Ed25519PrivateKey.generate()
    same_name = note.signature_line(TEXT, "PeterNeumann", other_key)
    raw = base64.b64decode(PETER_SIGNATURE.split(" ")[2])
    same_key_id = "— Impostor " + base64.b64encode(raw).decode() + "\n"
    with pytest.raises(UnverifiedNote):
        note.open_note(TEXT + "\n" + same_name + same_key_id, [PETER_VERIFIER_KEY])
    opened = note.open_note(TEXT + "\n" + same_name + PETER_SIGNATURE, [PETER_VERIFIER_KEY])
    assert opened == (TEXT, ["PeterNeumann"])


def test_a_failing_signature_from_a_known_key_rejects_the_whole_note() -> None:
    corrupted = PETER_SIGNATURE[:60] + "ABCD" + PETER_SIGNATURE[60:]
    with pytest.raises(InvalidNoteSignature, match=r"PeterNeumann\+c74f20a3"):
        note.open_note(TEXT + "\n" + corrupted, [PETER_VERIFIER_KEY])
    with pytest.raises(InvalidNoteSignature):
        note.open_note(
            TEXT + "\n" + ENOCH_SIGNATURE + corrupted, [ENOCH_VERIFIER_KEY, PETER_VERIFIER_KEY]
        )
    with pytest.raises(InvalidNoteSignature):
        note.open_note(TEXT + "\n" + PETER_SIGNATURE + corrupted, [PETER_VERIFIER_KEY])


def test_text_changed_after_signing_fails_verification() -> None:
    changed = TEXT.replace("cryptography", "cryptographY") + "\n" + PETER_SIGNATURE
    with pytest.raises(InvalidNoteSignature):
        note.open_note(changed, [PETER_VERIFIER_KEY])


@pytest.mark.parametrize(
    "malformed",
    [
        pytest.param(TEXT, id="no blank line"),
        pytest.param(TEXT + "\n", id="no signature lines"),
        pytest.param("", id="empty"),
        pytest.param(TEXT + "\n" + PETER_SIGNATURE[:-1], id="signature without newline"),
        pytest.param("\x01" + PETER_NOTE, id="control character"),
        pytest.param(PETER_NOTE.replace("\n", "\r\n"), id="CRLF line endings"),
        pytest.param(TEXT.replace(" ", "\t") + "\n" + PETER_SIGNATURE, id="tab in text"),
        pytest.param(PETER_NOTE + "Unexpected line.\n", id="trailing non-signature line"),
        pytest.param(PETER_NOTE + "\n", id="trailing blank line"),
        pytest.param(TEXT + "\n" + PETER_SIGNATURE.replace("—", "-"), id="hyphen not em dash"),
        pytest.param(TEXT + "\n" + PETER_SIGNATURE.replace("— ", "—"), id="no space after dash"),
        pytest.param(
            TEXT + "\n" + PETER_SIGNATURE.replace("PeterNeumann", "Bad Name"), id="space in name"
        ),
        pytest.param(
            TEXT + "\n" + PETER_SIGNATURE.replace("PeterNeumann", "Peter+Neumann"), id="plus"
        ),
        pytest.param(TEXT + "\n— PeterNeumann\n", id="no signature"),
        pytest.param(TEXT + "\n— PeterNeumann \n", id="empty signature"),
        pytest.param(TEXT + "\n— PeterNeumann not*base64\n", id="bad base64"),
        pytest.param(TEXT + "\n" + PETER_SIGNATURE.replace("=\n", "\n"), id="missing padding"),
        pytest.param(TEXT + "\n" + PETER_SIGNATURE.replace("AM=", "AN="), id="non-canonical"),
        pytest.param(TEXT + "\n— PeterNeumann x08gow==\n", id="signature under 5 bytes"),
        pytest.param(TEXT + "\n" + PETER_SIGNATURE * 101, id="101 signatures"),
    ],
)
def test_malformed_notes_are_rejected(malformed: str) -> None:
    with pytest.raises(MalformedNote):
        note.open_note(malformed, [PETER_VERIFIER_KEY])


def test_notes_that_are_not_utf8_are_rejected() -> None:
    with pytest.raises(MalformedNote, match="UTF-8"):
        note.open_note(b"\xff" + PETER_NOTE.encode("utf-8"), [PETER_VERIFIER_KEY])


def test_up_to_one_hundred_signatures_are_accepted() -> None:
    many = TEXT + "\n" + ENOCH_SIGNATURE * 99 + PETER_SIGNATURE
    assert note.open_note(many, [PETER_VERIFIER_KEY]) == (TEXT, ["PeterNeumann"])
