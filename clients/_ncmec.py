"""NCMEC Hash Sharing v2 XML (an `entries` answer) as list lines: each fingerprint of an
image or video is one NDJSON entry with its classification as the category; the
fingerprints of deleted entries are returned for retraction. Read as a stream."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

__all__ = ["FINGERPRINTS", "convert"]

# NCMEC fingerprint element -> hub alg; other fingerprints (e.g. video hashes) are skipped.
FINGERPRINTS = {"md5": "md5", "sha1": "sha1", "sha256": "sha256", "pdna": "photodna", "pdq": "pdq"}
ENTRIES = frozenset({"image", "video"})
DELETED = frozenset({"deletedimage", "deletedvideo"})


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def convert(source: Path, target: Path) -> tuple[int, list[dict[str, str]]]:
    """Writes `target` (NDJSON) from `source`; the entries written and the retracted values."""
    written, retracted = 0, []
    with target.open("w") as out:
        # The admin's own file; expat >= 2.4 caps entity expansion, no external entities.
        for _event, element in ET.iterparse(source, events=("end",)):  # noqa: S314
            kind = _local(element.tag).lower()
            if kind not in ENTRIES and kind not in DELETED:
                continue
            category = None
            values: list[tuple[str, str]] = []
            for child in element:
                name = _local(child.tag)
                if name == "classification" and (child.text or "").strip():
                    category = (child.text or "").strip()
                elif name == "fingerprints":
                    for print_ in child:
                        alg = FINGERPRINTS.get(_local(print_.tag).lower())
                        if alg and (print_.text or "").strip():
                            values.append((alg, (print_.text or "").strip()))
            for alg, value in values:
                if kind in DELETED:
                    retracted.append({"alg": alg, "value": value})
                    continue
                line: dict[str, str] = {"alg": alg, "value": value}
                if category:
                    line["category"] = category
                out.write(json.dumps(line) + "\n")
                written += 1
            element.clear()  # the stream stays small whatever the file's size
    return written, retracted
