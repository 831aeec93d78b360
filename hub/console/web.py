"""The console's plumbing: templates, the signed-in dependency, form parsing with the CSRF
check, security headers and turning domain errors into a message on the page."""

import hmac
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from hub.console import plots, sessions
from hub.deps import StateDep
from hub.errors import HubError, Invalid

HERE = Path(__file__).parent
COOKIE = "hub_console"
SIGN_IN_COOKIE = "hub_console_sign_in"
PREFIX = "/console"
# No inline script or style, nothing from another origin, no framing, no form posts elsewhere.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["duration"] = plots.duration
templates.env.filters["age"] = lambda delta: (
    "–" if delta is None else plots.duration(delta.total_seconds())
)


class NotSignedIn(Exception):
    """No live session: the browser is sent to the sign-in page (`reason` is a fixed code)."""

    def __init__(self, reason: str | None = None) -> None:
        self.reason = reason


class PageError(Exception):
    """A request the console answers with a plain error page (bad CSRF token, rate limit)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


def is_loopback(host: str | None) -> bool:
    if host in (None, "localhost"):
        return host is not None
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=not is_loopback(request.url.hostname),
    )


def _signed_in(request: Request, state: StateDep) -> sessions.SignedIn:
    secret = request.cookies.get(COOKIE)
    if not secret:
        raise NotSignedIn()
    with state.database.session(write=False) as session:
        who = sessions.resolve(session, secret, state.admin_token_hash)
    if who is None:
        raise NotSignedIn("ended")
    wait = state.rate_limiter.retry_after(who.token_id)
    if wait:
        raise PageError(429, f"Too many requests: try again in {wait} s.")
    return who


SignedInDep = Annotated[sessions.SignedIn, Depends(_signed_in)]


@dataclass(frozen=True)
class Form:
    """An urlencoded form body; `get` gives the first value of a field, stripped."""

    fields: dict[str, list[str]]

    def get(self, name: str) -> str:
        return (self.fields.get(name) or [""])[0].strip()


async def read_form(request: Request) -> Form:
    body = (await request.body()).decode("utf-8", errors="replace")
    return Form(parse_qs(body, keep_blank_values=True, max_num_fields=200))


async def _checked_form(request: Request, who: SignedInDep) -> Form:
    form = await read_form(request)
    if not hmac.compare_digest(form.get("csrf"), who.csrf):
        raise PageError(403, "This form has expired or did not come from the console.")
    return form


FormDep = Annotated[Form, Depends(_checked_form)]


def message_of(error: HubError | ValidationError) -> str:
    """One line for a person: the field and what is wrong with it."""
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or 'form'}: {item['msg']}"
            for item in error.errors()
        )
    if isinstance(error, Invalid):
        return "; ".join(f"{item['loc'][-1]}: {item['msg']}" for item in error.errors)
    return error.detail or error.title


def page(
    request: Request,
    name: str,
    who: sessions.SignedIn | None,
    status: int = 200,
    **context: Any,
) -> Response:
    context.setdefault("error", None)
    context["notice"] = NOTICES.get(request.query_params.get("done", ""))
    context["who"] = who
    return templates.TemplateResponse(request, name, context, status_code=status)


def done(path: str, notice: str) -> RedirectResponse:
    """After a change, back to a page that says what happened (a fixed notice code)."""
    return RedirectResponse(f"{PREFIX}{path}?done={notice}", status_code=303)


NOTICES = {
    "signed-in": "You are signed in.",
    "routed": "The case was routed; its referral is on its way.",
    "retried": "The delivery is back in line and will be pushed now.",
    "registered": "The hotline is registered.",
    "changed": "The hotline is changed.",
    "deactivated": "The hotline is deactivated: it receives no new cases and its tokens stop working.",
    "activated": "The hotline is active again.",
    "revoked": "The token is revoked: it is refused from the next request on.",
    "route": "The route is set.",
}


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every /console answer; other paths pass straight through."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.decode("latin-1").lower() not in _LOWER_HEADERS
                ]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


_LOWER_HEADERS = {name.lower() for name in SECURITY_HEADERS}


def _not_signed_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotSignedIn)
    target = f"{PREFIX}/sign-in" + (f"?reason={exc.reason}" if exc.reason else "")
    response = RedirectResponse(target, status_code=303)
    if exc.reason:
        response.delete_cookie(COOKIE, path=PREFIX)
    return response


def _page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageError)
    return page(request, "error.html", None, exc.status, message=exc.message)


def install(app: FastAPI, router: Any) -> None:
    app.include_router(router)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=HERE / "static"), name="console-static")
    app.add_exception_handler(NotSignedIn, _not_signed_in)
    app.add_exception_handler(PageError, _page_error)
    app.add_middleware(SecurityHeaders)
