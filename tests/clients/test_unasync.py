"""`HubClient` is generated from `AsyncHubClient` (scripts/unasync.py) at install and by
`make`: the `clients/_sync.py` the tests import must be what the generator makes of
`clients/_async.py` now, not a stale or hand-edited copy."""

import pytest

from scripts.unasync import SOURCE, TARGET, generate


def test_the_sync_client_is_what_the_async_one_generates() -> None:
    generated = generate(SOURCE.read_text())
    assert TARGET.read_text() == generated, (
        "clients/_sync.py is not generated from clients/_async.py: "
        "change _async.py, not _sync.py; `make` writes it again"
    )


def test_an_async_word_the_generator_does_not_know_is_refused() -> None:
    source = SOURCE.read_text() + "\n\nasync def _pause() -> None:\n    await asyncio.sleep(1)\n"
    with pytest.raises(ValueError, match="no sync word for 'asyncio'"):
        generate(source)
