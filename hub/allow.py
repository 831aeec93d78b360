"""The `Allow` header of a 405 (RFC 9110 15.5.6): every method the request's path takes.

Starlette names only the methods of the first route that matched the path, so a path
served by several routes (`GET` and `DELETE /v1/tokens/{id}`) would list only one.
"""

from starlette.requests import Request
from starlette.routing import Match, Mount

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """The methods some route serves at this path, asked of the routes themselves."""
    allowed = []
    for method in METHODS:
        scope = {**request.scope, "method": method}
        for route in request.app.router.routes:
            # A mount matches every method; the app behind it answers its own 405s.
            if isinstance(route, Mount):
                continue
            if route.matches(scope)[0] is Match.FULL:
                allowed.append(method)
                break
    return allowed
