"""`GET /metrics` (Prometheus text format) behind a token, or on a separate address.

HUB_METRICS_TOKEN: the route asks for `Authorization: Bearer <token>`. HUB_METRICS_ADDRESS:
a listener of its own serves the metrics and the API's /metrics answers 404.
"""

import hmac
import logging
import threading

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.exposition import start_http_server

from hub.deps import StateDep
from hub.errors import NotFound, Unauthenticated
from hub.metrics.collector import HubCollector
from hub.outage import every, is_outage
from hub.state import HubState

logger = logging.getLogger("hub.metrics")
router = APIRouter(tags=["operations"])
# How often a process adds its tallied counts to the shared ones; a process killed
# without a chance to stop loses at most this much of its latency and rejection counts.
FLUSH_INTERVAL = 1.0


def registry_for(state: HubState) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HubCollector(state.database, state.tally))
    return registry


@router.get("/metrics", response_class=Response, include_in_schema=False)
def metrics(request: Request, state: StateDep) -> Response:
    token = state.settings.metrics_token
    if token is None:
        raise NotFound("metrics are not served here (see HUB_METRICS_TOKEN, HUB_METRICS_ADDRESS)")
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(secret.strip().encode(), expected):
        raise Unauthenticated("send Authorization: Bearer <HUB_METRICS_TOKEN>")
    body = generate_latest(registry_for(state))
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def serve_metrics_address(state: HubState, stop: threading.Event) -> None:
    """A background job: the metrics on HUB_METRICS_ADDRESS until the hub stops."""
    address = state.settings.metrics_address
    if address is None:
        return
    host, _, port = address.rpartition(":")
    try:
        server, thread = start_http_server(int(port), host or "127.0.0.1", registry_for(state))
    except OSError as exc:
        # Several processes on one host may share the setting: one of them serves it.
        logger.warning("metrics address not bound: %s", type(exc).__name__)
        return
    logger.info("metrics served", extra={"address": address})
    stop.wait()
    server.shutdown()
    thread.join(timeout=5)


def flush_counts(state: HubState, stop: threading.Event) -> None:
    """A background job: adds this process's tallied counts to the shared ones each second;
    through an outage they stay pending and the loop waits for the database."""
    every(
        FLUSH_INTERVAL,
        lambda: state.tally.flush(state.database),
        stop,
        state.database.outage,
        "flushing metric counts",
    )
    try:
        state.tally.flush(state.database)
    except Exception as exc:
        if not is_outage(exc):
            logger.warning("could not flush metric counts; they stay pending", exc_info=True)
