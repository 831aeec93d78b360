"""Reading `/metrics` the way Prometheus does: the text format, parsed by prometheus-client."""

import time
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

METRICS_TOKEN = "metrics-Vb7Lq2Xw9Ks4Nd8Hr3Tf6Jy1Pc5Gm0Za"


def scrape(url: str, token: str | None = METRICS_TOKEN) -> dict[tuple[str, tuple], float]:
    """Every sample as {(name, sorted labels): value}."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = httpx.get(f"{url}/metrics", headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[tuple[str, tuple], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def wait_for(
    url: str, check: Callable[[dict[tuple[str, tuple], float]], bool], timeout: float = 60
) -> dict[tuple[str, tuple], float]:
    """Scrapes until `check` holds (counts reach the database within a flush)."""
    deadline = time.monotonic() + timeout
    while True:
        samples = scrape(url)
        if check(samples) or time.monotonic() > deadline:
            return samples
        time.sleep(0.2)
