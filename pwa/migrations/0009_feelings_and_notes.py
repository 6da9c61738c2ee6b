from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_pull_index')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TripNote',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('family', fields.ForeignKeyField('models.Family', source_field='family_id', db_constraint=True, to_field='id', related_name='trip_notes', on_delete=OnDelete.CASCADE)),
                ('trip', fields.ForeignKeyField('models.Trip', source_field='trip_id', db_constraint=True, to_field='id', related_name='notes', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='trip_notes', on_delete=OnDelete.SET_NULL)),
                ('author_name', fields.CharField(max_length=100)),
                ('text', fields.CharField(max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'trip_note', 'app': 'models', 'pk_attr': 'id', 'table_description': "A note a guardian or an invited caregiver adds to a trip: the caregiver's only write."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='TripEvent',
            name='value',
            field=fields.CharField(default='', db_default='', max_length=20),
        ),
    ]
