"""Web layer: the bulletin's signed downloads and the office's public keys (SPEC §3; docs/bulletin.md)."""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State

from pingyi.core import bulletin_check

from . import bulletin, signing
from .schemas import BulletinKeys

MEDIA = {"json": "application/json", "json.sig": "application/json", "csv": "text/csv; charset=utf-8",
         "csv.sig": "application/json"}


async def _download(state: State, year: int, ext: str) -> Response[bytes]:
    files = await bulletin.files_cached(year, state.settings.data_dir, state)
    name = next(n for n in files if n.endswith(f".{ext}") and (ext.endswith(".sig") or not n.endswith(".sig")))
    return Response(files[name], media_type=MEDIA[ext],
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "public, max-age=300"})


@get("/bulletin/{year:int}/bulletin.json")
async def bulletin_json(state: State, year: int) -> Response[bytes]:
    """The bulletin as a file to keep and verify (the same bytes as `/api/v1/bulletin/{year}`)."""
    return await _download(state, year, "json")


@get("/bulletin/{year:int}/bulletin.json.sig")
async def bulletin_json_sig(state: State, year: int) -> Response[bytes]:
    """The detached Ed25519 signature of the JSON file (a signed manifest naming each part's digest)."""
    return await _download(state, year, "json.sig")


@get("/bulletin/{year:int}/bulletin.csv")
async def bulletin_csv(state: State, year: int) -> Response[bytes]:
    """The bulletin for Excel/WPS: UTF-8 with BOM, one row per fact."""
    return await _download(state, year, "csv")


@get("/bulletin/{year:int}/bulletin.csv.sig")
async def bulletin_csv_sig(state: State, year: int) -> Response[bytes]:
    return await _download(state, year, "csv.sig")


@get("/bulletin/office-key.pub")
async def office_key(state: State) -> Response[str]:
    """The office's current public key, one line: `pingyi-ed25519 <base64> <key id>` (give it to --key)."""
    entry = await bulletin.signing_key(state.settings.data_dir)
    return Response(bulletin_check.format_public_key(signing.public_bytes(entry)), media_type="text/plain",
                    headers={"Content-Disposition": 'attachment; filename="office-key.pub"'})


@get("/api/v1/bulletin/keys")
async def office_keys(state: State) -> BulletinKeys:
    """Every public key the office has signed bulletins with (retired ones too, so old bulletins verify)."""
    return await bulletin.keys(state.settings.data_dir)


ROUTES = [bulletin_json, bulletin_json_sig, bulletin_csv, bulletin_csv_sig, office_key, office_keys]
