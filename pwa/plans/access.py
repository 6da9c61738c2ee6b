"""Who may do what with a plan, its steps and the first–then boards: loads the row and asks the
one rule. Pages pass the action their route declares; sync passes its mutation's."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from pwa.auth import sessions
from pwa.auth.access import Access
from pwa.auth.routing import action_of
from pwa.auth.rules import Action, Hidden
from pwa.auth.sessions import Principal
from pwa.family.access import family_row, id_of
from pwa.models import FirstThenBoard, Plan, PlanStep


async def plan(
    who: Principal, plan_id: Any, action: Action, *, deleted: bool = False
) -> tuple[Plan, Access]:
    found = await Plan.get_or_none(id=id_of(plan_id))
    if found is None or (found.deleted_at is not None and not deleted):
        raise Hidden()
    return found, await family_row(who, action, found.family_id, found.person_id)


async def step(
    who: Principal, step_id: Any, action: Action, *, plan_id: Any = None
) -> tuple[Plan, PlanStep, Access]:
    """A step and its plan; with plan_id, only a step of that plan."""
    found = await PlanStep.get_or_none(id=id_of(step_id))
    if found is None or (plan_id is not None and found.plan_id != id_of(plan_id)):
        raise Hidden()
    parent, granted = await plan(who, found.plan_id, action)
    return parent, found, granted


async def board(
    who: Principal, board_id: Any, action: Action, *, deleted: bool = False
) -> tuple[FirstThenBoard, Access]:
    found = await FirstThenBoard.get_or_none(id=id_of(board_id))
    if found is None or (found.deleted_at is not None and not deleted):
        raise Hidden()
    return found, await family_row(who, action, found.family_id)


async def plan_for(request: Request, *, deleted: bool = False) -> tuple[Plan, Access]:
    return await plan(
        sessions.principal(request),
        request.path_params["plan_id"],
        action_of(request),
        deleted=deleted,
    )


async def step_for(request: Request) -> tuple[Plan, PlanStep, Access]:
    return await step(
        sessions.principal(request),
        request.path_params["step_id"],
        action_of(request),
        plan_id=request.path_params["plan_id"],
    )


async def board_for(request: Request, *, deleted: bool = False) -> tuple[FirstThenBoard, Access]:
    return await board(
        sessions.principal(request),
        request.path_params["board_id"],
        action_of(request),
        deleted=deleted,
    )
