from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from pwa.models import HistoryReason
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_change_seq')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FieldHistory',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('family', fields.ForeignKeyField('models.Family', source_field='family_id', db_constraint=True, to_field='id', related_name='field_history', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=10)),
                ('row_id', fields.UUIDField(db_index=True)),
                ('parent_id', fields.UUIDField(db_index=True)),
                ('field', fields.CharField(max_length=30)),
                ('value', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('client_time', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('writer', fields.CharField(max_length=60)),
                ('reason', fields.CharEnumField(description='REPLACED: replaced\nLOST: lost\nAFTER_DELETE: after_delete', enum_type=HistoryReason, max_length=20)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('put_back_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'field_history', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A value of one field of an item or a step that is not shown any more: replaced by a later'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='ListItem',
            name='field_times',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='PlanStep',
            name='field_times',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
