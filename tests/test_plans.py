"""Trip plans, steps, the story view, first–then boards and the help card text."""

from __future__ import annotations

import uuid

from pwa.models import FirstThenBoard, Plan, PlanStep
from tests.conftest import Client
from tests.factories import make_caregiver, make_family, make_list, make_plan
from tests.html import find_form


async def step_texts(plan_id: object) -> list[str]:
    steps = await PlanStep.filter(plan_id=plan_id, deleted_at=None)
    return [s.text for s in sorted(steps, key=lambda s: (s.position, str(s.id)))]


async def test_parent_makes_a_plan_from_a_template(client: Client) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    page = await client.get(f"/families/{family.family.id}/plans/new")
    form = find_form(page.text, f"/families/{family.family.id}/plans/new")
    assert form.fields["template_id"] == "supermarket"
    for _ in range(2):  # sent twice: one plan
        response = await client.post(form.action, data={**form.fields, "name": ""})
    plan = await Plan.get(family=family.family)
    assert response.headers["location"] == f"/plans/{plan.id}"
    assert plan.name == "Supermarket trip"
    texts = await step_texts(plan.id)
    assert texts[0] == "Leave home. Close the door." and texts[-1] == "Go home."
    assert len(texts) == 8
    page = await client.get(f"/plans/{plan.id}")
    assert "Step 4: Find the things on your list." in page.text
    assert "Wait 5 minutes" in page.text


async def test_templates_come_in_chinese_on_a_chinese_page(app) -> None:
    family = await make_family()
    async with Client(app, locale="zh-CN") as client:
        await client.log_in(family.email, family.password)
        await client.submit("/account", {"name": "Parent", "phone": "", "locale": "zh_Hans"})
        await client.submit(
            f"/families/{family.family.id}/plans/new",
            {"id": str(uuid.uuid4()), "template_id": "bus", "name": ""},
        )
    plan = await Plan.get(family=family.family)
    assert plan.name == "坐公交车去商店"
    assert (await step_texts(plan.id))[2] == "等公交车。"


async def test_steps_are_added_changed_moved_and_taken_out(client: Client) -> None:
    family = await make_family()
    plan = await make_plan(family, "convenience")
    shopping_list = await make_list(family, pictures={"1F95B": 1})
    await client.log_in(family.email, family.password)

    page = await client.get(f"/plans/{plan.id}/steps/new")
    new = find_form(page.text, f"/plans/{plan.id}/steps/new")
    bad = await client.post(
        new.action, data={**new.fields, "text": "Wait.", "wait_minutes": "500", "link": "list"}
    )
    assert bad.status_code == 400
    assert "Write a number of minutes from 1 to 120, or leave it empty." in bad.text
    assert "Choose the list this step opens." in bad.text
    assert len(await step_texts(plan.id)) == 6
    ok = await client.post(
        new.action,
        data={
            **new.fields,
            "picture": "1F60C",
            "text": "Rest a moment.",
            "wait_minutes": "2",
            "link": "list",
            "list_id": str(shopping_list.id),
            "prompt_level": "less",
        },
    )
    assert ok.status_code == 303
    added = await PlanStep.get(id=new.fields["id"])
    assert added.wait_minutes == 2 and added.shopping_list_id == shopping_list.id
    assert (await step_texts(plan.id))[-1] == "Rest a moment."

    await client.submit(f"/plans/{plan.id}/steps/{added.id}/move", {"direction": "up"})
    texts = await step_texts(plan.id)
    assert texts[-2:] == ["Rest a moment.", "Go home."]

    await client.submit(f"/plans/{plan.id}/steps/{added.id}/remove")
    assert "Rest a moment." not in await step_texts(plan.id)
    page = await client.get(f"/plans/{plan.id}")
    undo = find_form(page.text, f"/plans/{plan.id}/steps/{added.id}/restore")
    await client.post(undo.action, data=undo.fields)
    assert "Rest a moment." in await step_texts(plan.id)

    edit = await client.get(f"/plans/{plan.id}/steps/{added.id}")
    form = find_form(edit.text, f"/plans/{plan.id}/steps/{added.id}")
    assert form.fields["text"] == "Rest a moment."
    await client.post(form.action, data={**form.fields, "text": "Sit down.", "link": ""})
    assert "Sit down." in await step_texts(plan.id)


async def test_story_view_shows_every_step(client: Client) -> None:
    family = await make_family()
    plan = await make_plan(family)
    await client.log_in(family.email, family.password)
    page = await client.get(f"/plans/{plan.id}/story")
    for text in await step_texts(plan.id):
        assert text in page.text
    assert page.text.count('class="story-step"') == 8


async def test_first_then_board(client: Client) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    page = await client.get(f"/families/{family.family.id}/boards/new")
    form = find_form(page.text, f"/families/{family.family.id}/boards/new")
    response = await client.post(
        form.action, data={**form.fields, "first_code": "1F6D2", "then_code": "1F3E0"}
    )
    assert await FirstThenBoard.filter(family=family.family).count() == 1
    shown = await client.get(response.headers["location"])
    assert "First Shopping trolley, then Home" in shown.text
    board = await FirstThenBoard.get(family=family.family)
    # Empty words are the pictures' names in the reader's language.
    async with Client(client._transport.app, locale="zh-CN") as chinese:  # type: ignore[attr-defined]
        await chinese.log_in(family.email, family.password)
        await chinese.submit("/account", {"name": "P", "phone": "", "locale": "zh_Hans"})
        assert "先购物车，再家" in (await chinese.get(f"/boards/{board.id}")).text
        await chinese.submit("/account", {"name": "P", "phone": "", "locale": "en"})
    edit = await client.get(f"/boards/{board.id}/edit")
    form = find_form(edit.text, f"/boards/{board.id}/edit")
    await client.post(form.action, data={**form.fields, "then_text": "Watch TV"})
    assert "First Shopping trolley, then Watch TV" in (await client.get(f"/boards/{board.id}")).text
    await client.submit(f"/boards/{board.id}/delete")
    assert (await client.get(f"/boards/{board.id}")).status_code == 404
    index = await client.get(f"/families/{family.family.id}/plans")
    undo = find_form(index.text, f"/boards/{board.id}/restore")
    await client.post(undo.action, data=undo.fields)
    assert (await client.get(f"/boards/{board.id}")).status_code == 200


async def test_help_card_text_is_the_parents_to_change(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    page = await client.get(f"/people/{family.person.id}/help-card")
    assert "I am autistic. Please speak slowly and show me." in page.text
    too_long = await client.submit(
        f"/people/{family.person.id}/help-card", {"help_text": "x" * 301}
    )
    assert too_long.status_code == 400
    await client.submit(
        f"/people/{family.person.id}/help-card",
        {"help_text": "My name is Ming. Please show me the way."},
    )
    _caregiver, email = await make_caregiver(family)
    await other_client.log_in(email, family.password)
    response = await other_client.submit(
        f"/people/{family.person.id}/help-card", {"help_text": "changed"}
    )
    assert response.status_code == 403
    await family.person.refresh_from_db()
    assert family.person.help_text == "My name is Ming. Please show me the way."


async def test_plans_of_another_family_are_not_found(client: Client, other_client: Client) -> None:
    family = await make_family()
    plan = await make_plan(family)
    step = await PlanStep.filter(plan=plan).first()
    assert step is not None
    stranger = await make_family()
    await other_client.log_in(stranger.email, stranger.password)
    for url in (
        f"/families/{family.family.id}/plans",
        f"/plans/{plan.id}",
        f"/plans/{plan.id}/story",
        f"/plans/{plan.id}/go",
        f"/plans/{plan.id}/steps/{step.id}",
        f"/people/{family.person.id}/trips",
        f"/people/{family.person.id}/help-card",
    ):
        assert (await other_client.get(url)).status_code == 404, url
    response = await other_client.submit(f"/plans/{plan.id}/steps/{step.id}/remove")
    assert response.status_code == 404
    assert (await PlanStep.get(id=step.id)).deleted_at is None


async def test_caregiver_reads_plans_but_cannot_change_them(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    plan = await make_plan(family)
    step = await PlanStep.filter(plan=plan).first()
    assert step is not None
    _caregiver, email = await make_caregiver(family)
    await other_client.log_in(email, family.password)
    assert (await other_client.get(f"/plans/{plan.id}")).status_code == 200
    assert (await other_client.get(f"/plans/{plan.id}/story")).status_code == 200
    assert (await other_client.get(f"/plans/{plan.id}/go")).status_code == 403
    assert (await other_client.get(f"/plans/{plan.id}/steps/new")).status_code == 403
    response = await other_client.submit(
        f"/plans/{plan.id}/steps/{step.id}/move", {"direction": "down"}
    )
    assert response.status_code == 403
