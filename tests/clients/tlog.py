"""A test-side transparency log (the RFC 9162 reference of tests/log/vectors/generate.py)
and a C2SP signed-note signer, to feed the SDK's verifier trees it did not build."""

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

import httpx
import rfc8785
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.log.vectors.generate import mth, proof


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Signer:
    """An Ed25519 signed-note signer named like the log it signs for."""

    def __init__(self, name: str, key: Ed25519PrivateKey | None = None) -> None:
        self.name = name
        self.key = key or Ed25519PrivateKey.generate()
        self.public = self.key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def key_id(self) -> bytes:
        return sha256(self.name.encode() + b"\n\x01" + self.public)[:4]

    @property
    def verifier_key(self) -> str:
        encoded = b64(bytes([1]) + self.public)
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def signature_line(self, text: str) -> str:
        return f"— {self.name} {b64(self.key_id + self.key.sign(text.encode()))}\n"

    def sign(self, text: str) -> str:
        return text + "\n" + self.signature_line(text)

    def jwk(self, *, retired: bool = False) -> dict[str, Any]:
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": base64.urlsafe_b64encode(self.public).rstrip(b"=").decode(),
            "kid": self.key_id.hex(),
            "use": "sig",
            "alg": "EdDSA",
            "note_verifier_key": self.verifier_key,
            "webhook_public_key": "whpk_" + b64(self.public),
            "created_at": "2026-01-01T00:00:00Z",
            "not_after": "2026-06-01T00:00:00Z" if retired else None,
        }


def checkpoint_text(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{b64(root)}\n"


def leaf(seq: int, kind: str = "report.received") -> bytes:
    event: dict[str, Any] = {
        "v": 1,
        "seq": seq,
        "type": kind,
        "at": "2026-11-24T09:30:00Z",
        "actor": "GB-IWF",
    }
    return rfc8785.dumps(event)


class FakeLog:
    """A hub's log endpoints served from memory through an httpx MockTransport.

    Tests tamper with it: `leaves` (a fork or a rollback), `signer` (a forged key),
    `entry_leaves` (entries that differ from the tree the checkpoint signs).
    """

    def __init__(self, origin: str = "hub.example.org/log", size: int = 0) -> None:
        self.origin = origin
        self.signer = Signer(origin)
        self.published_keys = [self.signer]
        self.leaves = [leaf(i) for i in range(size)]
        self.entry_leaves: list[bytes] | None = None
        self.requests: list[httpx.Request] = []

    def append(self, count: int) -> None:
        start = len(self.leaves)
        self.leaves += [leaf(start + i) for i in range(count)]

    @property
    def verifier_key(self) -> str:
        return self.published_keys[0].verifier_key

    def checkpoint(self) -> str:
        return self.signer.sign(checkpoint_text(self.origin, len(self.leaves), mth(self.leaves)))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        q = request.url.params
        route: dict[str, Callable[[], httpx.Response]] = {
            "/v1/log/checkpoint": lambda: httpx.Response(200, text=self.checkpoint()),
            "/v1/keys": lambda: httpx.Response(
                200, json={"keys": [s.jwk() for s in self.published_keys]}
            ),
            "/v1/log/proof/consistency": lambda: self._consistency(
                int(q["first"]), int(q["second"])
            ),
            "/v1/log/entries": lambda: self._entries(int(q["start"]), int(q["end"])),
        }
        answer = route.get(request.url.path)
        if answer is None:
            return httpx.Response(404, json={"title": "Not found", "status": 404})
        return answer()

    def _consistency(self, first: int, second: int) -> httpx.Response:
        if not 0 < first <= second <= len(self.leaves):
            return httpx.Response(422, json={"title": "bad sizes", "status": 422})
        hashes = proof(first, self.leaves[:second]) if first < second else []
        body = {"first": first, "second": second, "proof": [b64(h) for h in hashes]}
        return httpx.Response(200, json=body)

    def _entries(self, start: int, end: int) -> httpx.Response:
        leaves = self.entry_leaves if self.entry_leaves is not None else self.leaves
        items = [
            {"index": i, "leaf_input": b64(leaves[i]), "event": json.loads(leaves[i])}
            for i in range(start, min(end, len(leaves), start + 1000))
        ]
        return httpx.Response(200, json={"items": items})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)
