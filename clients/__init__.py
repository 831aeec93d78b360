"""The Hotline Exchange Hub SDK: `HubClient` / `AsyncHubClient`, webhook verification,
the auditor's verifier (`clients.audit`) and the `hubctl` CLI; it never imports `hub`."""

from clients import errors
from clients._async import AsyncHubClient
from clients._base import NOT_GIVEN, VERSION, SentBatch
from clients._models import (
    AckOut,
    ConsistencyProof,
    DeliveryOut,
    EventOut,
    HubKey,
    InclusionProof,
    KeySet,
    LogEntry,
    RejectedReport,
    SubmittedReport,
)
from clients._sync import HubClient

__version__ = VERSION

__all__ = [
    "NOT_GIVEN",
    "AckOut",
    "AsyncHubClient",
    "ConsistencyProof",
    "DeliveryOut",
    "EventOut",
    "HubClient",
    "HubKey",
    "InclusionProof",
    "KeySet",
    "LogEntry",
    "RejectedReport",
    "SentBatch",
    "SubmittedReport",
    "__version__",
    "errors",
]
