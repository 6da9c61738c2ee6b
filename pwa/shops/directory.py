"""The directory of friendly shops: which stores are friendly now, how families see their
names, and the choice of one for a list or a trip plan (issue 18). Apart from the shop's
services (pwa/shops/services.py), which write photos, so that the lists' services may ask
it without an import cycle (lists → shops → photos → lists)."""

from __future__ import annotations

from typing import cast

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from pwa.core import ids
from pwa.core.forms import FormErrors
from pwa.i18n import _
from pwa.models import Organisation, OrgKind


async def inactive_chain_ids() -> list[int]:
    return cast(
        list[int],
        await Organisation.filter(kind=OrgKind.CHAIN)
        .filter(Q(suspended_at__isnull=False) | Q(ended_at__isnull=False))
        .values_list("id", flat=True),
    )


async def chain_works() -> Q:
    """A store on its own, or one whose merchant is neither suspended nor ended (written out:
    NOT IN on a NULL chain would leave the stores on their own out)."""
    stopped = await inactive_chain_ids()
    return Q(chain_id=None) | Q(chain_id__not_in=stopped) if stopped else Q()


def shop_label(store: Organisation, chain: Organisation | None) -> str:
    """A store as families see it: "<merchant> <store>", so they can tell whose shop it is;
    only its own name when that starts with its merchant's already (or it has none)."""
    if chain is None or store.name.casefold().startswith(chain.name.strip().casefold()):
        return store.name
    return f"{chain.name} {store.name}"


async def friendly_shops() -> QuerySet[Organisation]:
    """The stores in the directory: the rule of pwa/vouchers/services.takes_vouchers (approved,
    neither it nor its merchant suspended or ended), as a query. A friendly shop whose staff
    switched vouchers off stays listed, saying so."""
    return Organisation.filter(
        await chain_works(),
        kind=OrgKind.MERCHANT,
        approved_at__isnull=False,
        suspended_at=None,
        ended_at=None,
    )


async def chosen_shop(shop_id: str, kept_id: int | None = None) -> Organisation | None:
    """The shop a list or a trip plan names (issue 18): "" is none; otherwise a friendly shop
    of the directory, or the one it named before (kept_id) even if it is not friendly any
    more. FormErrors({"shop_id"}) for anything else."""
    if not shop_id:
        return None
    key = ids.int_or_none(shop_id)
    shop = await Organisation.get_or_none(id=key, kind=OrgKind.MERCHANT) if key else None
    if shop is not None and shop.id != kept_id:
        shop = await (await friendly_shops()).get_or_none(id=shop.id)
    if shop is None:
        raise FormErrors({"shop_id": _("Choose one of the shops.")})
    return shop


async def shop_options(kept_id: int | None = None) -> list[tuple[str, str]]:
    """The choice of a shop for a list or a trip plan: the friendly shops, as families see
    them ("<label> · <city>"), and the one chosen before (kept_id) even if it is not friendly
    any more, so saving the form again does not lose it."""
    shops = await (await friendly_shops()).prefetch_related("chain")
    if kept_id is not None and all(shop.id != kept_id for shop in shops):
        kept = await Organisation.get_or_none(id=kept_id).prefetch_related("chain")
        shops += [kept] if kept is not None else []
    labelled = [(shop, shop_label(shop, shop.chain)) for shop in shops]
    labelled.sort(key=lambda pair: (pair[0].city, pair[1]))
    return [(str(shop.id), f"{label} · {shop.city}") for shop, label in labelled]
