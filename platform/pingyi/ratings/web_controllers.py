"""Web layer: the public mobile rating page behind a window's QR poster, and the office's poster routes (SPEC §4).

Thin: parse, call web_rating, render. The page works without JavaScript; the form carries the CSRF token like
every other form. A device cookie (random id, HttpOnly) identifies the phone for the repeat rule and the hourly
limit; the client address is taken the way the other rate limits take it.
"""

from __future__ import annotations

import re

import anyio
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.middleware.rate_limit import get_remote_address
from litestar.response import Redirect, Template

from pingyi.core.errors import InvalidInput
from pingyi.web.guards import admin_only, current_user, requires

from . import poster as poster_pdf
from . import web_rating
from .channels import CHANNEL_LABELS

DEVICE_MAX_AGE = 365 * 24 * 3600


def _safe(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", code)


def _context(window: web_rating.WebWindow, token: str, **extra: object) -> dict[str, object]:
    return {"window": window, "token": token, "choices": web_rating.scale_choices(window.scale),
            "tags": web_rating.TAGS, "text_max": web_rating.TEXT_MAX, "form": {}, "error": None,
            "channel_label": CHANNEL_LABELS["web"], **extra}


def _device_cookie(request: Request, secure: bool) -> tuple[str, list[Cookie]]:
    device = web_rating.valid_device(request.cookies.get(web_rating.DEVICE_COOKIE))
    if device:
        return device, []
    device = web_rating.new_device_id()
    return device, [Cookie(key=web_rating.DEVICE_COOKIE, value=device, max_age=DEVICE_MAX_AGE, httponly=True,
                           secure=secure, samesite="lax", path=web_rating.RATE_PATH)]


@get("/r/{token:str}")
async def rate_page(request: Request, token: str) -> Template:
    window, _ = await web_rating.window_for_token(token)
    _, cookies = _device_cookie(request, request.app.state.settings.http.cookie_secure)
    return Template("ratings/web_rate.html", context=_context(window, token), cookies=cookies,
                    headers={"cache-control": "no-store"})


@post("/r/{token:str}")
async def rate_submit(request: Request, token: str) -> Response:
    settings = request.app.state.settings
    window, _ = await web_rating.window_for_token(token)
    form = await request.form()
    fields = {"level": str(form.get("level", "")), "text": str(form.get("text", "")),
              "contact": str(form.get("contact", ""))}
    tags = [str(t) for t in form.getall("tags")] if "tags" in form else []
    device, address = web_rating.identities(settings.http.secret_key,
                                            request.cookies.get(web_rating.DEVICE_COOKIE),
                                            get_remote_address(request))
    try:
        parsed = web_rating.parse_form(window.scale, fields["level"], tags, fields["text"], fields["contact"])
        await web_rating.submit(token, parsed, device=device, address=address, settings=settings.web_rating)
    except InvalidInput as exc:
        return Template("ratings/web_rate.html", status_code=400,
                        context=_context(window, token, error=exc.message, form={**fields, "tags": tags}))
    except web_rating.RateLimited as exc:
        return Template("ratings/web_rate.html", status_code=429, context=_context(window, token, error=exc.message,
                                                                                   limited=True))
    return Redirect(path=f"{web_rating.RATE_PATH}{token}/done", status_code=303)


@get("/r/{token:str}/done")
async def rate_done(token: str) -> Template:
    window, _ = await web_rating.window_for_token(token)
    return Template("ratings/web_thanks.html", context={"window": window, "token": token},
                    headers={"cache-control": "no-store"})


@get("/office/windows/{code:str}/poster.pdf", guards=[requires("inspector")])
async def poster_download(request: Request, code: str, size: str = "A4") -> Response:
    settings = request.app.state.settings
    user = current_user(request) or {}
    window, poster = await web_rating.poster(code, user.get("username", "?"))
    url = web_rating.rating_url(settings.http.public_base_url, poster.token)
    pdf = await anyio.to_thread.run_sync(lambda: poster_pdf.render_poster(
        department=window.department_name, window=f"{window.window_code} {window.window_name}", scale=window.scale,
        url=url, size=size, fonts=settings.fonts, hall=window.hall_name))
    return Response(pdf, media_type="application/pdf", headers={
        "content-disposition": f'attachment; filename="poster-{_safe(window.window_code)}-{size}.pdf"',
        "cache-control": "no-store"})


@post("/office/windows/{code:str}/poster/rotate", guards=[admin_only])
async def poster_rotate(request: Request, code: str) -> Redirect:
    user = current_user(request) or {}
    await web_rating.rotate(code, user.get("username", "?"))
    return Redirect(path="/office/terminals", status_code=303)


WEB_ROUTES = [rate_page, rate_submit, rate_done, poster_download, poster_rotate]
