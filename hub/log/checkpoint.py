"""C2SP tlog-checkpoint note text (c2sp.org/tlog-checkpoint): origin, tree size and root hash,
formatted exactly and parsed strictly; signing it is note.py's job."""

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

ROOT_HASH_SIZE = 32
MAX_TREE_SIZE = 2**64 - 1

_TREE_SIZE = re.compile(r"0|[1-9][0-9]*", re.ASCII)


class MalformedCheckpoint(ValueError):
    """The text is not a checkpoint body of the form the spec allows."""


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: who (origin), how many leaves (size) and their Merkle root."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The note text of this checkpoint, ready to sign."""
        return format_checkpoint(self.origin, self.size, self.root_hash, self.extensions)


def _check_line(line: str, what: str) -> None:
    if not line:
        raise MalformedCheckpoint(f"{what} is empty")
    if any(ord(char) < 0x20 for char in line):
        raise MalformedCheckpoint(f"{what} has a control character")


def format_checkpoint(
    origin: str, size: int, root_hash: bytes, extensions: Sequence[str] = ()
) -> str:
    """``<origin>\\n<size>\\n<base64 root hash>\\n`` and any extension lines."""
    _check_line(origin, "origin")
    for extension in extensions:
        _check_line(extension, "extension line")
    if not 0 <= size <= MAX_TREE_SIZE:
        raise MalformedCheckpoint(f"tree size {size} out of range")
    if len(root_hash) != ROOT_HASH_SIZE:
        raise MalformedCheckpoint(f"root hash is {len(root_hash)} bytes, not 32")
    lines = [origin, str(size), base64.b64encode(root_hash).decode("ascii"), *extensions]
    return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint's note text (as ``note.open_note`` returns it)."""
    if not text.endswith("\n"):
        raise MalformedCheckpoint("checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise MalformedCheckpoint("checkpoint needs origin, tree size and root hash lines")
    origin, size_line, root_line, *extensions = lines
    _check_line(origin, "origin")
    for extension in extensions:
        _check_line(extension, "extension line")
    if not _TREE_SIZE.fullmatch(size_line):
        raise MalformedCheckpoint(f"tree size {size_line!r} is not a decimal without leading 0s")
    size = int(size_line)
    if size > MAX_TREE_SIZE:
        raise MalformedCheckpoint(f"tree size {size_line} out of range")
    try:
        root_hash = base64.b64decode(root_line, validate=True)
    except (binascii.Error, ValueError) as error:
        raise MalformedCheckpoint(f"root hash {root_line!r} is not base64") from error
    if len(root_hash) != ROOT_HASH_SIZE or base64.b64encode(root_hash).decode() != root_line:
        raise MalformedCheckpoint(f"root hash {root_line!r} is not 32 bytes in base64")
    return Checkpoint(origin, size, root_hash, tuple(extensions))
