"""Hashes of a local file, computed on the hotline's machine so imagery never travels:
SHA-256, SHA-1 and MD5 of the bytes, and PDQ (Meta's perceptual hash) of an image.

PDQ needs the `hashing` extra (`pip install 'hotline-exchange-hub[hashing]'`: pdqhash,
which builds Meta's C++ reference, and Pillow to decode images).
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Meta's reference hasher shrinks images to fit 512x512 before hashing; so do we, which
# keeps our hashes within a few bits of its published ones (tests/clients/test_hashing.py).
PDQ_SIDE = 512
_READ = 1 << 20


class HashingUnavailable(ValueError):
    """The `hashing` extra is not installed (hubctl: a usage error, exit code 2)."""


class NotAnImage(ValueError):
    """The file is not an image Pillow can decode, so it has no PDQ hash."""


@dataclass(frozen=True)
class Pdq:
    value: str  # 64 hex digits
    quality: int  # 0..100; Meta's advice: below 50, do not match on it


@dataclass(frozen=True)
class FileHashes:
    sha256: str
    sha1: str
    md5: str
    pdq: Pdq | None

    def wire(self) -> list[dict[str, Any]]:
        """The hashes as a report's `content.hashes` list."""
        hashes: list[dict[str, Any]] = [
            {"alg": "sha256", "value": self.sha256},
            {"alg": "sha1", "value": self.sha1},
            {"alg": "md5", "value": self.md5},
        ]
        if self.pdq is not None:
            hashes.append({"alg": "pdq", "value": self.pdq.value, "quality": self.pdq.quality})
        return hashes


def hash_file(path: Path, *, pdq: bool = True) -> FileHashes:
    """Every hash of the file at path; PDQ only for an image (else None) when pdq is set."""
    digests = [hashlib.sha256(), hashlib.sha1(), hashlib.md5()]  # noqa: S324 (list formats)
    with path.open("rb") as file:
        while block := file.read(_READ):
            for digest in digests:
                digest.update(block)
    sha256, sha1, md5 = (digest.hexdigest() for digest in digests)
    perceptual = None
    if pdq:
        try:
            perceptual = pdq_of(path)
        except NotAnImage:
            perceptual = None
    return FileHashes(sha256, sha1, md5, perceptual)


def pdq_of(path: Path) -> Pdq:
    """The PDQ hash and quality of an image file."""
    try:
        import numpy as np
        import pdqhash
        from PIL import Image, UnidentifiedImageError
    except ImportError as missing:
        raise HashingUnavailable(
            "PDQ hashing needs the hashing extra: pip install 'hotline-exchange-hub[hashing]'"
        ) from missing
    try:
        with Image.open(path) as image:
            image.thumbnail((PDQ_SIDE, PDQ_SIDE))
            pixels = np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError) as error:
        raise NotAnImage(f"{path.name} is not an image that can be decoded") from error
    bits, quality = pdqhash.compute(pixels)
    return Pdq(np.packbits(bits.astype(np.uint8)).tobytes().hex(), int(quality))
