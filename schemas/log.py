"""Wire models of the exchange log and the hub's keys (docs/protocol.md section 7):
entries, inclusion and consistency proofs (hashes in base64), and the JWKS."""

from typing import Any

from pydantic import Field

from schemas.common import OutModel, Timestamp


class LogEntry(OutModel):
    index: int = Field(ge=0)
    leaf_input: str = Field(description="base64 of the exact leaf bytes the tree hashes")
    event: dict[str, Any] = Field(description="the same leaf parsed as JSON")


class LogEntries(OutModel):
    items: list[LogEntry]


class InclusionProof(OutModel):
    index: int = Field(ge=0)
    tree_size: int = Field(ge=1)
    leaf_hash: str = Field(description="base64 of SHA-256(0x00 || leaf)")
    proof: list[str] = Field(description="base64 hashes, leaf's sibling first (RFC 9162 2.1.3)")


class ConsistencyProof(OutModel):
    first: int = Field(ge=1)
    second: int = Field(ge=1)
    proof: list[str] = Field(description="base64 hashes (RFC 9162 2.1.4); empty if equal sizes")


class PublicKey(OutModel):
    """One Ed25519 key as a JWK (RFC 8037) with its signed-note and webhook spellings."""

    kty: str = "OKP"
    crv: str = "Ed25519"
    x: str
    kid: str = Field(description="RFC 7638 thumbprint")
    use: str = "sig"
    alg: str = "EdDSA"
    note_verifier_key: str = Field(description="<origin>+<key id hex>+<base64(0x01 || key)>")
    webhook_public_key: str = Field(description="whpk_<base64 key>")
    created_at: Timestamp
    not_after: Timestamp | None = Field(description="when it stopped signing; null if in use")


class KeySet(OutModel):
    keys: list[PublicKey]
