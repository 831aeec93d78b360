"""The `hubctl` application: the root options and how they become an SDK client, the
shared flags, the exit codes, and the one place failures become a line on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.markup import escape
from typer.core import TyperGroup

from clients import HubClient, __version__, errors
from clients._config import ConfigError, Profile, load_profile
from clients._note import NoteError
from clients.cli.output import stderr, stdout
from clients.webhooks import WebhookVerificationError

__all__ = ["EXIT_CODES", "JsonFlag", "LimitFlag", "app", "connect", "listed", "main", "moment"]

EXIT_OK = 0
EXIT_HUB = 1
EXIT_USAGE = 2
EXIT_VERIFICATION = 3
EXIT_REJECTED = 4
EXIT_INTERRUPTED = 130
EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_HUB: "the hub answered with a problem, or could not be reached",
    EXIT_USAGE: "bad usage or configuration (flags, config file, input file)",
    EXIT_VERIFICATION: "verification failed: checkpoint signature, rollback, fork, "
    "log entries, or an event signature",
    EXIT_REJECTED: "submit finished but the hub rejected some reports (see --errors)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C); `submit --resume` continues",
}


class _Failures(TyperGroup):
    """Turns failures anywhere below into one clear line on stderr and an exit code."""

    def invoke(self, ctx: Any) -> Any:  # typer's own (vendored) click Context
        def as_json() -> bool:
            return bool(ctx.meta.get(JSON_ERRORS))

        try:
            return super().invoke(ctx)
        except errors.AuditError as error:
            _fail(f"verification failed: {error}", EXIT_VERIFICATION, as_json())
        except WebhookVerificationError as error:
            _fail(f"verification failed: {error}", EXIT_VERIFICATION, as_json())
        except errors.InvalidInput as error:
            _fail(_describe(error), EXIT_USAGE, as_json(), error)
        except errors.HubError as error:
            _fail(_describe(error), EXIT_HUB, as_json(), error)
        except (ConfigError, NoteError, ValidationError, ValueError, OSError) as error:
            _fail(_usage_message(error), EXIT_USAGE, as_json())
        except KeyboardInterrupt:
            _fail("interrupted", EXIT_INTERRUPTED, as_json())


def _fail(
    message: str, code: int, as_json: bool = False, problem: errors.HubError | None = None
) -> NoReturn:
    if as_json:
        # One JSON object on stderr, so a script reading --json output can parse failures too.
        failure: dict[str, Any] = {"error": message, "exit_code": code}
        if problem is not None and problem.problem:
            failure["problem"] = problem.problem
        print(json.dumps(failure, ensure_ascii=False), file=sys.stderr)
    else:
        stderr().print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False)
    raise typer.Exit(code)


def _usage_message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in error.errors()
        )
        return f"invalid input: {fields}"
    if isinstance(error, OSError) and error.filename:
        return f"{error.filename}: {error.strerror}"
    return str(error)


def _describe(error: errors.HubError) -> str:
    lines = [str(error)]
    if isinstance(error, errors.UnprocessableEntity):
        lines = [str(error.args[0])]  # the fields follow, one a line
        lines += [f"  {'.'.join(str(p) for p in e.loc)}: {e.msg}" for e in error.errors]
    if (
        isinstance(error, errors.Conflict)
        and error.allowed is not None
        and "allowed" not in lines[0]
    ):
        lines.append(f"  allowed next: {', '.join(error.allowed) or 'none'}")
    if isinstance(error, errors.RateLimited) and error.retry_after is not None:
        lines.append(f"  retry after {error.retry_after:.0f} s")
    return "\n".join(lines)


app = typer.Typer(
    cls=_Failures,
    name="hubctl",
    help=(
        "Command line of the Hotline Exchange Hub: submit reports, read referrals and "
        "events, post status, administer the hub, audit its signed log.\n\n"
        "Configuration: flags (--hub, --token, ...), else HUB_URL / HUB_TOKEN / "
        "HUBCTL_SIGNING_KEY, else the config file (~/.config/hubctl/config.toml, or "
        "--config; --profile or HUBCTL_PROFILE picks a table).\n\n"
        "Exit codes: "
        + "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items())
        + "."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

JSON_ERRORS = "hubctl.json"


def json_errors(ctx: typer.Context, value: bool) -> bool:
    if value:
        ctx.meta[JSON_ERRORS] = True  # ctx.meta is shared by the whole command line
    return value


JsonFlag = Annotated[
    bool,
    typer.Option(
        "--json",
        callback=json_errors,
        help="Print JSON for scripts instead of a table (errors too, on stderr).",
    ),
]
LimitFlag = Annotated[
    int | None, typer.Option("--limit", min=1, help="Show at most this many (default: all).")
]


def _version(value: bool) -> None:
    if value:
        stdout().print(f"hubctl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    hub: Annotated[
        str | None,
        typer.Option("--hub", envvar="HUB_URL", help="The hub's address (base URL)."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token", envvar="HUB_TOKEN", help="Bearer token (hotline, admin or auditor)."
        ),
    ] = None,
    signing_key: Annotated[
        str | None,
        typer.Option(
            "--signing-key",
            envvar="HUBCTL_SIGNING_KEY",
            help="Your hotline's Ed25519 key (PEM file) to sign status updates.",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="HUBCTL_CONFIG",
            help="Config file (default ~/.config/hubctl/config.toml).",
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            envvar="HUBCTL_PROFILE",
            help="Use the [profiles.NAME] table of the config file.",
        ),
    ] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", min=0.1, help="Seconds per request (default 30).")
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    ctx.obj = {
        "url": hub,
        "token": token,
        "signing_key": signing_key,
        "config": config,
        "profile": profile,
        "timeout": timeout,
    }


def _profile(ctx: typer.Context) -> Profile:
    root = ctx.find_root()
    options = root.obj or {}
    if "loaded" not in options:
        options["loaded"] = load_profile(**{k: v for k, v in options.items() if k != "loaded"})
        root.obj = options
        for warning in options["loaded"].warnings:
            stderr().print(f"warning: {escape(warning)}", markup=True)
    loaded: Profile = options["loaded"]
    return loaded


def connect(ctx: typer.Context, *, token: bool = True) -> HubClient:
    """The SDK client for this command line's hub and token, closed when it ends."""
    profile = _profile(ctx)
    client = HubClient(
        profile.require_url_and_token() if token else profile.require_url(),
        profile.token,
        timeout=profile.timeout,
        signing_key=profile.signing_key,
    )
    ctx.call_on_close(client.close)
    return client


T = TypeVar("T")


def listed(pages: Callable[..., Iterator[T]], limit: int | None) -> list[T]:
    """The first `limit` items (default: all) of an SDK list, fetched in pages of up to 1000."""
    items = pages(limit=min(limit, 1000) if limit else 1000)
    return list(islice(items, limit)) if limit else list(items)


def moment(value: str | None) -> datetime:
    """An RFC 3339 time given on the command line; None or "now" is now."""
    if value is None or value == "now":
        return datetime.now(UTC).replace(microsecond=0)
    given = datetime.fromisoformat(value)
    if given.tzinfo is None:
        raise ValueError(f"time {value!r} needs a time zone, e.g. 2026-11-24T09:30:00Z")
    return given


def main(argv: list[str] | None = None) -> int:
    """The `hubctl` entry point; returns the exit code."""
    try:
        app(args=argv, prog_name="hubctl", standalone_mode=True)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    return 0
