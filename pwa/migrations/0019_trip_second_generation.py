"""Issue 18: voice clips, plan B per item, a shop's own area order, "I am lost"."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from pwa.models import TripEventKind
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields


class StoredAsBefore(ops.AlterField):
    """The same VARCHAR column with one more value the app may write ("lost"): only the models'
    state changes (as in 0018; a real AlterField would rebuild the table on SQLite)."""

    async def database_forward(self, *args, **kwargs) -> None:
        return None

    async def database_backward(self, *args, **kwargs) -> None:
        return None

class Migration(migrations.Migration):
    dependencies = [('models', '0018_programme')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Clip',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('family', fields.ForeignKeyField('models.Family', source_field='family_id', db_constraint=True, to_field='id', related_name='clips', on_delete=OnDelete.CASCADE)),
                ('file_name', fields.CharField(unique=True, max_length=80)),
                ('mime', fields.CharField(max_length=40)),
                ('duration_ms', fields.IntField()),
                ('size', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'clip', 'app': 'models', 'pk_attr': 'id', 'table_description': "A short recording in a guardian's voice, read aloud for a step, an item or the help card"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ShopArea',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.ForeignKeyField('models.Organisation', source_field='shop_id', db_constraint=True, to_field='id', related_name='shop_areas', on_delete=OnDelete.CASCADE)),
                ('area', fields.CharField(max_length=30)),
                ('position', fields.SmallIntField()),
                ('photo', fields.CharField(default='', db_default='', max_length=80)),
            ],
            options={'table': 'shop_area', 'app': 'models', 'unique_together': (('shop', 'area'),), 'pk_attr': 'id', 'table_description': "A friendly shop's own order of its areas, as a person walks through it, with an optional"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='ItemMark',
            name='plan_b',
            field=fields.CharField(default='', db_default='', max_length=10),
        ),
        ops.AddField(
            model_name='ListItem',
            name='clip',
            field=fields.ForeignKeyField('models.Clip', source_field='clip_id', null=True, db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='ListItem',
            name='plan_b',
            field=fields.CharField(default='', db_default='', max_length=10),
        ),
        ops.AddField(
            model_name='ListItem',
            name='plan_b_label',
            field=fields.CharField(default='', db_default='', max_length=60),
        ),
        ops.AddField(
            model_name='ListItem',
            name='plan_b_photo',
            field=fields.ForeignKeyField('models.Photo', source_field='plan_b_photo_id', null=True, db_constraint=True, to_field='id', related_name='plan_b_items', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='ListItem',
            name='plan_b_pictogram',
            field=fields.CharField(default='', db_default='', max_length=40),
        ),
        ops.AddField(
            model_name='Person',
            name='help_clip',
            field=fields.ForeignKeyField('models.Clip', source_field='help_clip_id', null=True, db_constraint=True, to_field='id', related_name='help_cards', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Person',
            name='lost_share',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Person',
            name='lost_share_changed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Person',
            name='lost_share_changed_by',
            field=fields.CharField(default='', db_default='', max_length=100),
        ),
        ops.AddField(
            model_name='Plan',
            name='shop',
            field=fields.ForeignKeyField('models.Organisation', source_field='shop_id', null=True, db_constraint=True, to_field='id', related_name='plans', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='PlanStep',
            name='clip',
            field=fields.ForeignKeyField('models.Clip', source_field='clip_id', null=True, db_constraint=True, to_field='id', related_name='steps', on_delete=OnDelete.SET_NULL),
        ),
        StoredAsBefore(
            model_name='TripEvent',
            name='kind',
            field=fields.CharEnumField(description='START: start\nSTEP_DONE: step_done\nSTEP_BACK: step_back\nHELP_SHOWN: help_shown\nHELP_CLOSED: help_closed\nTIMER_STARTED: timer_started\nFINISH: finish\nFEELING_BEFORE: feeling_before\nFEELING_AFTER: feeling_after\nLOST: lost', enum_type=TripEventKind, max_length=20),
        ),
    ]
