"""Events a hotline pulls and acknowledges, and the admin's view of their push (PROTOCOL 5).

An event's `created_at` is kept as the exact string that was signed, never re-formatted.
"""

from typing import Annotated, Any, Literal

from pydantic import Field

from schemas.common import HotlineId, OutModel, Timestamp, WireModel

DeliveryState = Literal["pending", "delivered", "dead"]


class EventOut(OutModel):
    """One event as pushed: the JSON plus a `webhook-signature` and timestamp made when served."""

    id: str
    type: str
    created_at: str
    data: dict[str, Any]
    signature: str = Field(description="`v1a,<base64 Ed25519 signature>`, made when served")
    timestamp: int = Field(description="the `webhook-timestamp` signed: when it was served")


class AckIn(WireModel):
    # Ids as the hub gives them out (`evt_…`): nothing else can name an event.
    ids: list[Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_]+$")]] = (
        Field(min_length=1, max_length=1000)
    )


class AckOut(OutModel):
    acknowledged: int = Field(description="how many of the ids are the caller's own events")


class DeliveryOut(OutModel):
    """The push of one event, as the admin sees it (no webhook URL, no payload)."""

    id: str
    type: str
    recipient: HotlineId
    state: DeliveryState
    attempts: int
    last_error: str | None = None
    created_at: Timestamp
    next_attempt_at: Timestamp | None = None
    delivered_at: Timestamp | None = None
