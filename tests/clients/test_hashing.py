"""Hashing at the hotline: PDQ checked against Meta's reference images and hashes, the
`hubctl hash` command, and `hubctl submit --image`, whose file never leaves the machine."""

import base64
import csv
import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from clients.cli import app
from clients.hashing import hash_file, pdq_of
from tests.conftest import Hub
from tests.support.hubctl import submit_image

pytest.importorskip("pdqhash", reason="the hashing extra is not installed")

TESTDATA = (Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata" / "pdq").resolve()
if not (TESTDATA / "expected.csv").exists():
    pytest.skip(f"no PDQ reference data at {TESTDATA}", allow_module_level=True)
IMAGES = TESTDATA / "images"
ORIGINAL = IMAGES / "bridge-1-original.jpg"


def bits_between(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def reference_hashes() -> list[tuple[str, str]]:
    with (TESTDATA / "expected.csv").open() as file:
        return [(row["file"], row["pdq"]) for row in csv.DictReader(file)]


@pytest.mark.parametrize(("name", "expected"), reference_hashes())
def test_every_reference_image_is_within_10_bits_of_metas_hash(name: str, expected: str) -> None:
    assert bits_between(pdq_of(IMAGES / name).value, expected) <= 10


def test_near_duplicates_match_the_original_and_unrelated_photos_do_not() -> None:
    original = pdq_of(ORIGINAL).value
    mods = sorted(IMAGES.glob("mod-*"))
    unrelated = sorted(IMAGES.glob("q*.jpg"))
    assert len(mods) == 5 and len(unrelated) == 7
    for mod in mods:
        assert bits_between(pdq_of(mod).value, original) <= 31, mod.name
    for photo in unrelated:
        assert bits_between(pdq_of(photo).value, original) > 64, photo.name


def test_quality_is_high_for_a_photo_and_low_for_a_flat_image() -> None:
    assert pdq_of(ORIGINAL).quality >= 50
    assert pdq_of(IMAGES / "small.jpg").quality < 50


def test_cryptographic_hashes_are_of_the_bytes_and_a_non_image_has_no_pdq(tmp_path: Path) -> None:
    data = ORIGINAL.read_bytes()
    hashes = hash_file(ORIGINAL)
    assert (hashes.sha256, hashes.sha1, hashes.md5) == (
        hashlib.sha256(data).hexdigest(),
        hashlib.sha1(data).hexdigest(),
        hashlib.md5(data).hexdigest(),
    )
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    assert hash_file(text).pdq is None
    assert [h["alg"] for h in hash_file(text).wire()] == ["sha256", "sha1", "md5"]


def test_hubctl_hash_prints_every_hash_of_every_file() -> None:
    mod = IMAGES / "mod-blur-a-lot.jpg"
    result = CliRunner().invoke(
        app, ["hash", "--json", str(ORIGINAL), str(mod)], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(ORIGINAL), str(mod)]
    first = {h["alg"]: h for h in lines[0]["hashes"]}
    assert first["sha256"]["value"] == hashlib.sha256(ORIGINAL.read_bytes()).hexdigest()
    assert first["pdq"] == {"alg": "pdq", "value": pdq_of(ORIGINAL).value, "quality": 100}

    table = CliRunner().invoke(app, ["hash", str(ORIGINAL)], env={"COLUMNS": "300"})
    assert table.exit_code == 0, table.output
    assert pdq_of(ORIGINAL).value in table.stdout and first["md5"]["value"] in table.stdout


def test_hubctl_hash_of_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["hash", str(tmp_path / "absent.jpg")])
    assert result.exit_code == 2


class Recorder:
    """A loopback proxy in front of the hub that keeps every request it forwards."""

    def __init__(self, target: str) -> None:
        self.requests: list[bytes] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                recorder.requests.append(self.requestline.encode() + bytes(self.headers) + body)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                answer = httpx.request(
                    self.command, target + self.path, headers=headers, content=body
                )
                self.send_response(answer.status_code)
                for name in ("content-type", "location"):
                    if name in answer.headers:
                        self.send_header(name, answer.headers[name])
                self.send_header("content-length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = _forward

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def recorder(api: Hub) -> Iterator[Recorder]:
    proxy = Recorder(api.url)
    yield proxy
    proxy.server.shutdown()
    proxy.server.server_close()


def test_submit_image_sends_hashes_never_the_bytes_and_a_near_duplicate_is_known(
    api: Hub, recorder: Recorder
) -> None:
    api.register("NL-MELDPUNT", ["NL"])
    api.register("GB-IWF", ["GB"])
    token = api.token("hotline", "GB-IWF")
    mod = IMAGES / "mod-high-contrast.jpg"

    first = submit_image(recorder.url, token, "IWF-IMG-1", ORIGINAL)
    second = submit_image(recorder.url, token, "IWF-IMG-2", mod)

    assert first["content"]["known"] is False
    assert second["content"]["known"] is True
    assert second["content"]["id"] == first["content"]["id"]
    assert second["content"]["match"]["alg"] == "pdq"
    assert second["content"]["match"]["distance"] == bits_between(
        pdq_of(ORIGINAL).value, pdq_of(mod).value
    )
    assert recorder.requests, "the CLI went through the recording proxy"
    for image in (ORIGINAL, mod):
        data = image.read_bytes()
        pieces = [data[i : i + 48] for i in range(0, len(data) - 48, len(data) // 20)]
        for request in recorder.requests:
            assert len(request) < len(data) // 4
            for piece in pieces:
                assert piece not in request
                assert piece.hex().encode() not in request
                assert base64_of(piece) not in request


def base64_of(piece: bytes) -> bytes:
    # Inner characters only: base64 of a piece at another offset in the file differs at the edges.
    return base64.b64encode(piece)[4:-4]
