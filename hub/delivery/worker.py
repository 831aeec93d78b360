"""The delivery worker: claims due events, pushes them concurrently, records the outcomes
in batches (hub/delivery/recorder.py), and rides out database outages without exiting.

`python -m hub worker` runs `run_forever`; `serve` runs `deliver_in_process` as a job.
"""

import asyncio
import logging
import os
import signal
import socket
import threading
from collections import Counter, deque
from datetime import timedelta

from hub.delivery import doorbell, leases, recorder, signer
from hub.delivery.leases import Claimed
from hub.delivery.recorder import Recorder
from hub.delivery.sender import Outgoing, PushResult, Sender, Signed
from hub.delivery.targets import WebhookTargets
from hub.ids import new_id
from hub.metrics import heartbeat
from hub.migrate import upgrade
from hub.outage import Backoff, is_outage, run_through_outages
from hub.referrals import status
from hub.settings import Settings
from hub.state import HubState, build_state

logger = logging.getLogger("hub.delivery")

# Pushes to one hotline at once per worker, so a slow receiver cannot take every slot.
PER_RECIPIENT = 8
# Events of one hotline a worker holds (pushing, or next in line): the line refills the
# pushes at once, and a hotline is claimed for only with room for CLAIM_BATCH more.
CLAIM_BATCH = 16
HELD_PER_RECIPIENT = PER_RECIPIENT + CLAIM_BATCH
# Seconds between polls while some hotline is busy (its retries and others' wait that long).
BUSY_POLL_INTERVAL = 0.5
# How long a stopping worker lets pushes in flight finish before giving their leases back.
STOP_GRACE = 5.0


class Worker:
    """One worker: a lease owner id, a connection pool and a bounded number of pushes."""

    def __init__(self, state: HubState, owner: str | None = None) -> None:
        settings = state.settings
        self.database = state.database
        self.keyring = state.keyring
        self.owner = owner or f"{socket.gethostname()[:24]}-{os.getpid()}-{new_id('wrk')[-6:]}"
        self.capacity = settings.delivery_concurrency
        self.lease = timedelta(seconds=settings.delivery_lease_seconds)
        self.poll_interval = settings.delivery_poll_interval
        self.sender = Sender(
            WebhookTargets.from_settings(settings),
            connect_timeout=settings.webhook_connect_timeout,
            total_timeout=settings.webhook_timeout,
            max_connections=self.capacity,
        )
        self.push_timeout = settings.webhook_timeout
        self._in_flight: dict[asyncio.Task[PushResult], Claimed] = {}
        # Claimed events waiting for a push slot of their hotline, with when their lease ends.
        self._waiting: dict[str, deque[tuple[float, Claimed]]] = {}
        self._recorder = Recorder(self.database, self.owner, status.record_deliveries)
        self._wake = asyncio.Event()
        self._rung = False
        # Set by a claim that came back short: when, and which hotlines were busy after it.
        self._drained: tuple[float, frozenset[str]] | None = None

    async def run(self, stop: threading.Event) -> None:
        """Works until `stop` is set, then lets pushes in flight finish or hands them back."""
        logger.info("delivery worker started", extra={"owner": self.owner})
        loop = asyncio.get_running_loop()
        unsubscribe = doorbell.subscribe(lambda: loop.call_soon_threadsafe(self._ring))
        listener = self._listen_for_notifications(stop)
        next_beat = 0.0
        backoff = Backoff()
        try:
            while not stop.is_set():
                self._wake.clear()
                self._record_finished()
                self._start_pushes()
                try:
                    if loop.time() >= next_beat:
                        await asyncio.to_thread(heartbeat.beat, self.database, self.owner)
                        next_beat = loop.time() + heartbeat.INTERVAL
                    limit, room = self._room()
                    if self._worth_claiming(limit, _busy(room)):
                        self._rung = False
                        asked_at = loop.time()  # no later than the lease's start
                        claimed = await asyncio.to_thread(self._claim, limit, _busy(room), room)
                        self._hold(claimed, asked_at)
                        self._start_pushes()
                        if len(claimed) == limit:
                            self._drained = None
                            continue  # a full batch: more may be waiting
                        self._drained = (loop.time(), _busy(self._room()[1]))
                except Exception as exc:
                    # Never an exit: pushes in flight go on, and claims resume once it is back.
                    self._failed(exc)
                    await self._pause(backoff.next(), stop)
                    continue
                backoff.reset()
                await self._idle()
        finally:
            unsubscribe()
            await self._drain()
            await asyncio.to_thread(heartbeat.forget, self.database, self.owner)
            await self.sender.aclose()
            if listener is not None:
                listener.join(timeout=2)
            logger.info("delivery worker stopped", extra={"owner": self.owner})

    def _ring(self) -> None:
        self._rung = True
        self._wake.set()

    def _held(self) -> Counter[str]:
        held = Counter(item.recipient for item in self._in_flight.values())
        held.update({recipient: len(line) for recipient, line in self._waiting.items()})
        return held

    def _room(self) -> tuple[int, dict[str, int]]:
        """How many events this worker may claim now, and how many more of each hotline it
        holds events of. Nothing while the recorder is a batch behind, so outcomes waiting
        to be written stay bounded and a stop drains in moments."""
        if self._recorder.backlog >= recorder.BATCH:
            return 0, {}
        held = self._held()
        room = {recipient: HELD_PER_RECIPIENT - count for recipient, count in held.items()}
        return self.capacity - sum(held.values()), room

    def _worth_claiming(self, limit: int, busy: frozenset[str]) -> bool:
        """After a short claim nothing more was due for this worker: the next one waits for
        news (a ring, the poll interval) or for a busy hotline to make room."""
        if limit <= 0:
            return False
        if self._drained is None or self._rung:
            return True
        since, were_busy = self._drained
        if were_busy - busy:
            return True
        # With a busy hotline in hand a poll rarely finds anything (new events ring; only
        # retries falling due do not), and each one costs a scan of the busy one's backlog.
        interval = max(self.poll_interval, BUSY_POLL_INTERVAL) if were_busy else self.poll_interval
        return asyncio.get_running_loop().time() - since >= interval

    def _hold(self, claimed: list[Claimed], asked_at: float) -> None:
        # A push must end (by its timeout) before its lease does, or another worker may
        # take the event while it is still being pushed: one not started by then is dropped.
        start_by = asked_at + self.lease.total_seconds() - self.push_timeout
        for item in claimed:
            self._waiting.setdefault(item.recipient, deque()).append((start_by, item))

    def _start_pushes(self) -> None:
        """Starts the waiting pushes that have a slot of their hotline free."""
        if not self._waiting:
            return
        now = asyncio.get_running_loop().time()
        pushing = Counter(item.recipient for item in self._in_flight.values())
        for recipient, line in list(self._waiting.items()):
            while line and pushing[recipient] < PER_RECIPIENT:
                start_by, item = line.popleft()
                if now > start_by:
                    continue  # its lease runs out before a push could end: due again then
                attempt = self._signed_now(item.event)
                task = asyncio.create_task(self.sender.push(item.webhook_url, attempt))
                self._in_flight[task] = item
                pushing[recipient] += 1
            if not line:
                del self._waiting[recipient]

    def _failed(self, exc: Exception) -> None:
        if is_outage(exc):
            self.database.outage.failed(exc)
        else:
            logger.exception("delivery loop failed; trying again")

    async def _pause(self, seconds: float, stop: threading.Event) -> None:
        deadline = asyncio.get_running_loop().time() + seconds
        while not stop.is_set():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return
            await asyncio.sleep(min(remaining, 0.1))

    def _signed_now(self, event: Outgoing) -> Signed:
        """This attempt's own timestamp and signature; the webhook-id stays the event id."""
        timestamp, signature = signer.sign_now(self.keyring.current(), event.id, event.body)
        return Signed(event.id, timestamp, signature, event.body)

    async def _idle(self) -> None:
        """Until a push finishes, new events are announced, or the poll interval is up."""
        rung = asyncio.create_task(self._wake.wait())
        await asyncio.wait(
            {*self._in_flight, rung},
            timeout=self.poll_interval,
            return_when=asyncio.FIRST_COMPLETED,
        )
        rung.cancel()

    def _listen_for_notifications(self, stop: threading.Event) -> threading.Thread | None:
        if self.database.dialect != "postgresql":
            return None
        thread = threading.Thread(
            target=doorbell.listen_postgres,
            args=(self.database.settings.database_url, stop, self.database.outage),
            name="hub-delivery-listen",
            daemon=True,
        )
        thread.start()
        return thread

    def _claim(self, limit: int, busy: frozenset[str], room: dict[str, int]) -> list[Claimed]:
        if self.database.dialect == "sqlite":
            # A read first: an idle poll must not take SQLite's one write lock.
            with self.database.session(write=False) as session:
                if not leases.any_due(session):
                    return []
        with self.database.transaction() as session:
            claimed = leases.claim(
                session, self.owner, limit, self.lease, busy, room, HELD_PER_RECIPIENT
            )
        self.database.outage.recovered()
        return claimed

    def _record_finished(self) -> None:
        """Hands finished pushes to the recorder; claims and pushes go on meanwhile."""
        finished = [task for task in self._in_flight if task.done()]
        if finished:
            self._recorder.add([(self._in_flight.pop(task), _result_of(task)) for task in finished])

    async def _drain(self) -> None:
        waiting = [item.event.id for line in self._waiting.values() for _, item in line]
        self._waiting.clear()
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=STOP_GRACE)
        unfinished = [task for task in self._in_flight if not task.done()]
        ids = waiting + [self._in_flight.pop(task).event.id for task in unfinished]
        for task in unfinished:
            task.cancel()
        self._record_finished()
        await asyncio.to_thread(self._recorder.close)
        if unfinished:
            await asyncio.gather(*unfinished, return_exceptions=True)
        if ids:
            await asyncio.to_thread(self._release, ids)

    def _release(self, ids: list[str]) -> None:
        try:
            with self.database.transaction() as session:
                leases.release(session, self.owner, ids)
        except Exception as exc:
            if not is_outage(exc):
                logger.exception("could not give leases back; they run out by themselves")


def _busy(room: dict[str, int]) -> frozenset[str]:
    """Hotlines claimed for only in batches: busy while they have room for fewer."""
    return frozenset(recipient for recipient, left in room.items() if left < CLAIM_BATCH)


def _result_of(task: "asyncio.Task[PushResult]") -> PushResult:
    if task.cancelled():
        return PushResult(False, "cancelled")
    if task.exception() is not None:
        logger.error("push crashed", exc_info=task.exception())
        return PushResult(False, "internal error")
    return task.result()


def deliver_in_process(state: HubState, stop: threading.Event) -> None:
    """The background job `serve` runs on the embedded default (HUB_INPROCESS_WORKER)."""
    asyncio.run(Worker(state).run(stop))


def run_forever(settings: Settings) -> int:
    """`python -m hub worker`: migrates, then delivers until SIGTERM or SIGINT."""
    state = build_state(settings)
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        logger.info("stopping", extra={"signal": signal.Signals(signum).name})
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        # A database still starting (or down) is waited for, not a reason to exit.
        run_through_outages(lambda: upgrade(state.database.engine), stop, state.database.outage)
        if stop.is_set():
            return 0
        asyncio.run(Worker(state).run(stop))
    finally:
        state.database.dispose()
    return 0
