"""Benchmark baseline: a minimal Litestar app with one msgspec-validated POST, served like pingyi."""

from litestar import Litestar, post
from msgspec import Struct


class Payload(Struct):
    token: str
    answers: dict[str, dict[str, str]]
    opinions: dict[str, str] = {}


@post("/api/v1/ballots", status_code=201)
async def accept(data: Payload) -> dict[str, str]:
    return {"receipt": "R-0000-0000-0000", "message": "ok"}


app = Litestar(route_handlers=[accept])
