"""The hub key file on a fresh deployment: processes that start at the same moment all end
up signing with one key, the one in the file, and nothing is left beside it."""

import stat
import threading
from pathlib import Path

from hub.signing import HubKey, load_or_create


def test_processes_starting_at_once_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "hub-signing-key.pem"
    starters = 16
    barrier = threading.Barrier(starters)
    keys: list[HubKey] = []
    failures: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            keys.append(load_or_create(path))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=start) for _ in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len({key.kid for key in keys}) == 1
    assert load_or_create(path).kid == keys[0].kid
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]
