"""The status graph of referrals and domestic cases (docs/protocol.md section 6): which
status may follow which, and who may set it."""

from collections.abc import Mapping

from hub.cases.models import Case
from hub.errors import Conflict
from schemas.referrals import Status

S = Status
NEXT: Mapping[Status, tuple[Status, ...]] = {
    S.pending: (S.delivered,),
    S.delivered: (S.accepted,),
    S.accepted: (S.notice_sent, S.law_enforcement_hold, S.not_illegal, S.content_gone, S.rerouted),
    S.notice_sent: (S.notice_sent, S.removed),
    S.law_enforcement_hold: (S.notice_sent,),
    S.removed: (),
    S.not_illegal: (),
    S.content_gone: (),
    S.rerouted: (),
}
# A domestic case has nothing to deliver: its reporter moves it from pending to accepted.
DOMESTIC_NEXT: Mapping[Status, tuple[Status, ...]] = {**NEXT, S.pending: (S.accepted,)}
HUB_ONLY = frozenset({S.delivered})
TERMINAL = frozenset(status for status, after in NEXT.items() if not after)
# These free the case's URL: a new report of it opens a new case linked as `previous`.
CLOSING = frozenset({S.removed, S.content_gone})


def allowed_next(current: str, *, domestic: bool) -> list[str]:
    """The states a hotline may post next, in graph order (`delivered` is the hub's own)."""
    graph = DOMESTIC_NEXT if domestic else NEXT
    return [status.value for status in graph[Status(current)] if status not in HUB_ONLY]


def is_domestic(case: Case) -> bool:
    return case.routing_reason == "domestic" and case.active_referral_id is None


def check_move(current: str, target: Status, subject: str, *, domestic: bool) -> None:
    allowed = allowed_next(current, domestic=domestic)
    if target in allowed:
        return
    if Status(current) in TERMINAL:
        after = f"'{current}' is final: no status may follow it"
    elif allowed:
        after = "allowed next: " + ", ".join(allowed)
    else:
        after = "the hub sets 'delivered' on the first 2xx push or ack; 'accepted' may follow"
    raise Conflict(
        f"{subject} is '{current}'; it cannot move to '{target.value}' ({after})",
        allowed=allowed,
        current=current,
    )
