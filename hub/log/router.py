"""The exchange log on the wire: `/v1/log/*` (auditor, hotline, admin) and `/v1/keys`
(public: no token), as docs/protocol.md section 7 and docs/log.md describe them."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session

from hub.deps import AuditorOrHotline, ReadSession, StateDep
from hub.errors import Forbidden, Invalid, field_error
from hub.exchange import sequencer
from hub.log import keys, service, storage
from hub.state import HubState
from schemas.log import ConsistencyProof, InclusionProof, KeySet, LogEntries

router = APIRouter(tags=["log"])

Index = Annotated[int, Query(ge=0, le=2**63 - 1)]
TreeSize = Annotated[int, Query(ge=0, le=2**63 - 1)]


@router.get(
    "/v1/log/checkpoint",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}, "description": "a C2SP signed note"}},
)
def get_checkpoint(who: AuditorOrHotline, state: StateDep) -> PlainTextResponse:
    """The latest checkpoint (C2SP tlog-checkpoint in a signed note), covering every change
    acknowledged before this request: sequenced and signed on the spot if the background
    sequencer has not yet got to them."""
    latest = sequencer.catch_up(state.database, state.keyring, state.settings.log_origin)
    return PlainTextResponse(
        latest.note, media_type="text/plain; charset=utf-8", headers={"Cache-Control": "no-cache"}
    )


@router.get("/v1/log/entries", response_model=LogEntries)
def get_entries(
    who: AuditorOrHotline,
    session: ReadSession,
    state: StateDep,
    start: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    end: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    digest: Annotated[str | None, Query(max_length=71)] = None,
) -> dict[str, Any]:
    """Leaves `[start, end)`, at most 1000 (fewer when the log ends before `end`); or, with
    `digest`, the leaves about the object of that digest.

    A range is for auditors and the admin only: leaves name other hotlines' cases and
    referrals, and a hotline sees only its own (PROTOCOL 1.4). Anyone may ask by digest,
    since only a holder of the object knows it: that is how a hotline finds its own leaves.
    """
    # Leaves are read right after the 2xx that made them: sequence what is queued first.
    sequencer.catch_up(state.database, state.keyring, state.settings.log_origin)
    if digest is not None:
        if start is not None or end is not None:
            raise Invalid([field_error(["query", "digest"], "give either digest or start/end")])
        return service.entries_about(session, digest)
    if who.kind == "hotline":
        raise Forbidden("a hotline reads its own leaves by digest; ranges are for auditors")
    if start is None:
        raise Invalid([field_error(["query", "start"], "is required without digest")])
    return service.entries(session, start, end)


def _reach(state: HubState, session: Session, tree_size: int) -> None:
    """Sequences what is queued if the tree asked for is larger than the log so far."""
    if tree_size > storage.size(session):
        sequencer.catch_up(state.database, state.keyring, state.settings.log_origin)
        session.rollback()  # a fresh snapshot (SQLite keeps one per read transaction)


@router.get("/v1/log/proof/inclusion", response_model=InclusionProof)
def get_inclusion_proof(
    who: AuditorOrHotline,
    session: ReadSession,
    state: StateDep,
    tree_size: Annotated[int, Query(ge=1, le=2**63 - 1)],  # index < tree_size
    index: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    leaf_hash: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """RFC 9162 inclusion proof of one leaf, named by `index` or by base64 `leaf_hash`."""
    _reach(state, session, tree_size)
    return service.inclusion(session, index, leaf_hash, tree_size)


@router.get("/v1/log/proof/consistency", response_model=ConsistencyProof)
def get_consistency_proof(
    who: AuditorOrHotline,
    session: ReadSession,
    state: StateDep,
    first: Annotated[int, Query(ge=1, le=2**63 - 1)],  # every tree extends the empty one
    second: TreeSize,
) -> dict[str, Any]:
    """RFC 9162 consistency proof from tree size `first` (at least 1) to `second`."""
    _reach(state, session, second)
    return service.consistency(session, first, second)


@router.get("/v1/keys", response_model=KeySet)
def get_keys(state: StateDep, session: ReadSession) -> dict[str, Any]:
    """The hub's public keys, current and retired, as a JWKS. No token needed."""
    current = state.current_key()
    return {"keys": keys.published(session, current, state.settings.log_origin)}
