"""The wire body of one report from its fields: the one builder behind both
`hubctl submit` from flags and the rows of a CSV file (`clients._bulk.csv_report`)."""

from typing import Any

__all__ = ["report_body"]


def report_body(
    *,
    reference: str | None,
    url: str | None,
    kind: str | None,
    hashes: list[dict[str, Any]],
    classification: str | None,
    age_group: str | None,
    site_type: str | None,
    observed_at: str | None,
    hosting_ip: str | None = None,
) -> dict[str, Any]:
    """A report body as POST /v1/reports takes it; `hosting_ip` only when given.

    Values are sent as given: the hub's answer names any that are missing or wrong.
    """
    body: dict[str, Any] = {
        "reference": reference,
        "url": url,
        "content": {"kind": kind, "hashes": hashes},
        "assessment": {"classification": classification, "age_group": age_group},
        "site_type": site_type,
        "observed_at": observed_at,
    }
    if hosting_ip:
        body["hosting_ip"] = hosting_ip
    return body
