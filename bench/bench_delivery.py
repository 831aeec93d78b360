"""Delivery: submit → signed webhook received, p50/p99 over N referrals one after another,
against the loopback round trip measured in the same run; and deliveries per second with
one and two `python -m hub worker` processes (SQLite and PostgreSQL), against the same
receiver's raw rate for signed POSTs from trivial httpx loops (16 at once, as two workers
push 8 each to one hotline).

    .venv/bin/python bench/bench_delivery.py [--referrals 1000] [--postgres URL]
        [--skip-sqlite] [--only latency|throughput]

`--postgres` (or HUB_BENCH_POSTGRES) names the server; the bench creates and drops its own
databases there. Every push is verified with the hub's public key by the receiver.
"""

import argparse
import base64
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._support import (
    ADMIN_TOKEN,
    ROOT,
    fresh_database,
    hub_process,
    make_report,
    percentile,
)
from tests.support.receiver import Push, Receiver, public_key_from_pem


def milliseconds(values: list[float]) -> str:
    return f"p50 {percentile(values, 0.5) * 1000:7.2f} ms   p99 {percentile(values, 0.99) * 1000:7.2f} ms"


def loopback_rtt(url: str, count: int = 300) -> list[float]:
    """POST round trips on one kept-alive connection: what a push costs at the least."""
    times = []
    with httpx.Client() as client:
        for _ in range(count):
            started = time.perf_counter()
            client.post(url, content=b"{}", headers={"content-type": "application/json"})
            times.append(time.perf_counter() - started)
    return times[20:]


def register(url: str, webhook: str) -> httpx.Client:
    """NL-MELDPUNT with the receiver's webhook, GB-IWF pulling; returns a GB-IWF client."""
    admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    for hotline, country, hook in (("NL-MELDPUNT", "NL", webhook), ("GB-IWF", "GB", None)):
        body = {"id": hotline, "name": hotline, "countries": [country], "webhook_url": hook}
        answer = admin.post("/v1/hotlines", json=body)
        assert answer.status_code == 201, answer.text
    token = admin.post("/v1/tokens", json={"principal": "hotline", "subject": "GB-IWF"}).json()
    admin.close()
    return httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token['token']}"}, timeout=60
    )


def referral_of(push: Push) -> str:
    return push.event["data"]["id"]


def submit_to_webhook(
    reporter: httpx.Client, receiver: Receiver, count: int, run: str
) -> tuple[list[float], list[float]]:
    """One report at a time: the time from its POST until its answer, and until its
    referral's push arrived at the receiver."""
    arrived: dict[str, float] = {}
    answers, latencies = [], []
    for index in range(count):
        started = time.perf_counter()
        answer = reporter.post("/v1/reports", json=make_report(index, run))
        answers.append(time.perf_counter() - started)
        assert answer.status_code == 201, answer.text
        referral = answer.json()["routing"]["referral"]

        def landed(pushes: list[Push], referral: str = referral) -> bool:
            for push in pushes:
                arrived.setdefault(referral_of(push), push.received)
            return referral in arrived

        receiver.wait_for(landed, timeout=30)
        latencies.append(arrived[referral] - started)
    assert all(push.verified for push in receiver.pushes)
    return answers, latencies


@contextmanager
def workers(database_url: str, folder: Path, count: int) -> Iterator[None]:
    environment = {
        **os.environ,
        "HUB_DATABASE_URL": database_url,
        "HUB_SIGNING_KEY": str(folder / "key.pem"),
        "HUB_STATIC_HOSTS": str(folder / "hosts.json"),
        "HUB_ALLOW_PRIVATE_WEBHOOKS": "1",
        "HUB_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    processes = [
        subprocess.Popen([sys.executable, "-m", "hub", "worker"], env=environment, cwd=ROOT)
        for _ in range(count)
    ]
    try:
        yield
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)


def latency_run(kind: str, count: int) -> tuple[list[float], list[float], list[float]]:
    with fresh_database(kind) as database_url, tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        env = {"HUB_ALLOW_PRIVATE_WEBHOOKS": "1", "HUB_INPROCESS_WORKER": str(kind == "sqlite")}
        with (
            hub_process(database_url, folder, **env) as url,
            Receiver(public_key_from_pem(folder / "key.pem")) as receiver,
            workers(database_url, folder, 0 if kind == "sqlite" else 1),
        ):
            rtt = loopback_rtt(receiver.url)
            receiver.pushes.clear()
            reporter = register(url, receiver.url)
            submit_to_webhook(reporter, receiver, 20, "warm")
            receiver.pushes.clear()
            answers, latencies = submit_to_webhook(reporter, receiver, count, "lat")
            reporter.close()
    return rtt, answers, latencies


def throughput_run(kind: str, count: int, worker_count: int) -> float:
    """Referrals queued first, then workers started: pushes/s from first to last arrival."""
    with fresh_database(kind) as database_url, tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        env = {"HUB_ALLOW_PRIVATE_WEBHOOKS": "1", "HUB_INPROCESS_WORKER": "False"}
        with (
            hub_process(database_url, folder, **env) as url,
            Receiver(public_key_from_pem(folder / "key.pem")) as receiver,
        ):
            reporter = register(url, receiver.url)
            for start in range(0, count, 1000):
                batch = [make_report(i, "tp") for i in range(start, min(count, start + 1000))]
                answer = reporter.post("/v1/reports:batch", json={"reports": batch})
                assert answer.status_code == 200, answer.text
            reporter.close()
            with workers(database_url, folder, worker_count):
                receiver.wait_delivered(count, timeout=600)
            assert all(push.verified for push in receiver.pushes)
            assert len({push.id for push in receiver.pushes}) == len(receiver.pushes)
            arrivals = sorted(push.received for push in receiver.pushes)
            return (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])


def raw_receiver_rate(count: int, senders: int = 16) -> float:
    """Signed POSTs to the same kind of receiver from trivial httpx loops (one kept-alive
    client per thread), no hub at all: what the receiver takes on this machine now."""
    key = Ed25519PrivateKey.generate()
    body = b'{"id":"evt_x","type":"referral.created","data":{}}'

    def send(url: str, offset: int) -> None:
        with httpx.Client() as client:
            for index in range(offset, count, senders):
                event_id, timestamp = f"evt_{index}", str(int(time.time()))
                signature = key.sign(f"{event_id}.{timestamp}.".encode() + body)
                headers = {
                    "content-type": "application/json",
                    "webhook-id": event_id,
                    "webhook-timestamp": timestamp,
                    "webhook-signature": "v1a," + base64.b64encode(signature).decode(),
                }
                answer = client.post(url, content=body, headers=headers)
                assert answer.status_code == 204, answer.status_code

    with Receiver(key.public_key()) as receiver:
        threads = [threading.Thread(target=send, args=(receiver.url, n)) for n in range(senders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        arrivals = sorted(push.received for push in receiver.pushes)
    return (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--referrals", type=int, default=1000)
    parser.add_argument("--postgres", default=os.environ.get("HUB_BENCH_POSTGRES"))
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--only", choices=["latency", "throughput"])
    args = parser.parse_args()
    if args.postgres:
        os.environ["HUB_BENCH_POSTGRES"] = args.postgres.rstrip("/")
    print(f"machine: {os.cpu_count()} CPUs; {args.referrals} referrals, each push verified")
    kinds = ([] if args.skip_sqlite else ["sqlite"]) + (["postgres"] if args.postgres else [])
    for kind in kinds if args.only != "throughput" else []:
        rtt, answers, latencies = latency_run(kind, args.referrals)
        where = "in-process worker" if kind == "sqlite" else "a worker process"
        print(f"{kind:8} loopback POST round trip       {milliseconds(rtt)}")
        print(f"{kind:8} POST /v1/reports answered      {milliseconds(answers)}")
        print(f"{kind:8} submit → webhook received      {milliseconds(latencies)}  ({where})")
    if args.only != "latency":
        raw = raw_receiver_rate(args.referrals)
        print(f"baseline: the receiver takes {raw:7.1f} signed POSTs/s from trivial httpx loops")
        for kind in kinds:
            for worker_count in (1, 2):
                rate = throughput_run(kind, args.referrals, worker_count)
                print(
                    f"{kind:8} {worker_count} worker(s): {rate:7.1f} deliveries/s"
                    f"  ({rate / raw:.2f} of the baseline)"
                )


if __name__ == "__main__":
    main()
