from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from pwa.models import PromptLevel
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_shopping_lists')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FirstThenBoard',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('family', fields.ForeignKeyField('models.Family', source_field='family_id', db_constraint=True, to_field='id', related_name='boards', on_delete=OnDelete.CASCADE)),
                ('first_code', fields.CharField(max_length=40)),
                ('first_text', fields.CharField(max_length=60)),
                ('then_code', fields.CharField(max_length=40)),
                ('then_text', fields.CharField(max_length=60)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'first_then_board', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Two big pictures: "First … then …".'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Plan',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('family', fields.ForeignKeyField('models.Family', source_field='family_id', db_constraint=True, to_field='id', related_name='plans', on_delete=OnDelete.CASCADE)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', null=True, db_constraint=True, to_field='id', related_name='plans', on_delete=OnDelete.SET_NULL)),
                ('name', fields.CharField(max_length=60)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'plan', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A visual schedule: the steps of a trip, one picture and one sentence each.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PlanStep',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('family', fields.ForeignKeyField('models.Family', source_field='family_id', db_constraint=True, to_field='id', related_name='plan_steps', on_delete=OnDelete.CASCADE)),
                ('plan', fields.ForeignKeyField('models.Plan', source_field='plan_id', db_constraint=True, to_field='id', related_name='steps', on_delete=OnDelete.CASCADE)),
                ('position', fields.CharField(max_length=60)),
                ('pictogram', fields.CharField(default='', max_length=40)),
                ('photo', fields.ForeignKeyField('models.Photo', source_field='photo_id', null=True, db_constraint=True, to_field='id', related_name='steps', on_delete=OnDelete.SET_NULL)),
                ('text', fields.CharField(max_length=120)),
                ('wait_minutes', fields.SmallIntField(null=True)),
                ('link', fields.CharField(default='', max_length=10)),
                ('shopping_list', fields.ForeignKeyField('models.ShoppingList', source_field='shopping_list_id', null=True, db_constraint=True, to_field='id', related_name='steps', on_delete=OnDelete.SET_NULL)),
                ('prompt_level', fields.CharEnumField(default=PromptLevel.FULL, description='FULL: full\nLESS: less\nLEAST: least', enum_type=PromptLevel, max_length=10)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'plan_step', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Trip',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('family', fields.ForeignKeyField('models.Family', source_field='family_id', db_constraint=True, to_field='id', related_name='trips', on_delete=OnDelete.CASCADE)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='trips', on_delete=OnDelete.CASCADE)),
                ('plan', fields.ForeignKeyField('models.Plan', source_field='plan_id', null=True, db_constraint=True, to_field='id', related_name='trips', on_delete=OnDelete.SET_NULL)),
                ('plan_name', fields.CharField(max_length=60)),
                ('steps', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'trip', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One trip the person made from a plan. The steps are copied when it starts, so a plan'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TripEvent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('family', fields.ForeignKeyField('models.Family', source_field='family_id', db_constraint=True, to_field='id', related_name='trip_events', on_delete=OnDelete.CASCADE)),
                ('trip', fields.ForeignKeyField('models.Trip', source_field='trip_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=20)),
                ('step', fields.SmallIntField(null=True)),
                ('prompt_level', fields.CharField(default='', max_length=10)),
                ('client_time', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'trip_event', 'app': 'models', 'pk_attr': 'id', 'table_description': "Append-only: what happened during a trip, with the phone's time."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Person',
            name='help_text',
            field=fields.CharField(default='', db_default='', max_length=300),
        ),
    ]
