"""Log-in throttling: failed attempts counted per email and per address."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request

from pwa.core.clock import now
from pwa.models import LoginFailure

THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_LIMITS = {"email": 5, "ip": 30}


async def throttled(keys: dict[str, str]) -> bool:
    since = now() - THROTTLE_WINDOW
    for kind, value in keys.items():
        count = await LoginFailure.filter(key=f"{kind}:{value}", at__gte=since).count()
        if count >= THROTTLE_LIMITS[kind]:
            return True
    return False


async def record_failure(keys: dict[str, str]) -> None:
    await LoginFailure.bulk_create([LoginFailure(key=f"{k}:{v}") for k, v in keys.items()])


async def clear_failures(keys: dict[str, str]) -> None:
    await LoginFailure.filter(key__in=[f"{k}:{v}" for k, v in keys.items()]).delete()


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
