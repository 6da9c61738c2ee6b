from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_vouchers')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SyncClient',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('family', fields.ForeignKeyField('models.Family', source_field='family_id', db_constraint=True, to_field='id', related_name='sync_clients', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='sync_clients', on_delete=OnDelete.CASCADE)),
                ('device', fields.ForeignKeyField('models.DeviceLink', source_field='device_id', null=True, db_constraint=True, to_field='id', related_name='sync_clients', on_delete=OnDelete.CASCADE)),
                ('last_mutation_id', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sync_client', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One browser install, bound on its first push to who sent it and their family.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OpLog',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('client', fields.ForeignKeyField('models.SyncClient', source_field='client_id', db_constraint=True, to_field='id', related_name='ops', on_delete=OnDelete.CASCADE)),
                ('mutation_id', fields.BigIntField()),
                ('family', fields.ForeignKeyField('models.Family', source_field='family_id', db_constraint=True, to_field='id', related_name='ops', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=40)),
                ('args', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('error', fields.CharField(default='', max_length=300)),
                ('client_time', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('applied_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'op_log', 'app': 'models', 'unique_together': (('client', 'mutation_id'),), 'pk_attr': 'id', 'table_description': 'Append-only: every mutation a client pushed, once, applied or refused with its reason.'},
            bases=['Model'],
        ),
    ]
