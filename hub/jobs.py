"""The background jobs of `serve`: each runs on its own thread until `stop` is set,
and waits out a database outage (logged once, `hub.outage`) rather than ending."""

import logging
import threading
from collections.abc import Callable

from hub import clock
from hub.delivery.worker import deliver_in_process
from hub.exchange import sequencer
from hub.log import signer
from hub.metrics.router import flush_counts, serve_metrics_address
from hub.outage import every, run_through_outages
from hub.retention.service import purge
from hub.state import HubState

Job = Callable[[HubState, threading.Event], None]

SEQUENCER_POLL_SECONDS = 0.1
PURGE_INTERVAL_SECONDS = 3600.0


def sequence(state: HubState, stop: threading.Event) -> None:
    """Records the hub key, then runs a sequencer step every poll."""
    database, keyring, origin = state.database, state.keyring, state.settings.log_origin

    def record_key() -> None:
        with database.transaction() as session:
            signer.record(session, keyring.current(), clock.utcnow())

    try:
        run_through_outages(record_key, stop, database.outage)
    except Exception:
        logging.getLogger("hub.log").warning("could not record the hub key", exc_info=True)
    every(
        SEQUENCER_POLL_SECONDS,
        lambda: sequencer.step(database, keyring, origin, wait=False),
        stop,
        database.outage,
        "sequencing",
    )


def load_pdq_indexes(state: HubState, stop: threading.Event) -> None:
    """Loads both PDQ indexes once at start, so the first PDQ report does not wait for
    them (it still would, behind this, during a first load)."""
    try:
        state.intake.pdq_index.catch_up()
        with state.database.session(write=False) as session:
            state.intake.list_index.catch_up(session)
    except Exception:
        logging.getLogger("hub.matching").exception(
            "loading the PDQ indexes at start failed; the first lookup retries"
        )


def purge_hourly(state: HubState, stop: threading.Event) -> None:
    """Purges cases closed past HUB_RETENTION_DAYS, every hour."""
    days = state.settings.retention_days
    assert days is not None
    while not stop.is_set():
        try:
            purged = run_through_outages(
                lambda: purge(state.database, days), stop, state.database.outage
            )
            if purged is not None and purged.cases:
                logging.getLogger("hub.retention").info(
                    "retention purge done", extra={"cases": purged.cases}
                )
        except Exception:
            logging.getLogger("hub.retention").warning(
                "retention purge failed; next try in an hour", exc_info=True
            )
        stop.wait(PURGE_INTERVAL_SECONDS)


def of(state: HubState) -> list[Job]:
    """The jobs this process runs, as its settings ask."""
    jobs: list[Job] = [sequence, flush_counts, serve_metrics_address, load_pdq_indexes]
    if state.settings.retention_days is not None:
        jobs.append(purge_hourly)
    if state.settings.runs_inprocess_worker:
        jobs.append(deliver_in_process)
    return jobs
