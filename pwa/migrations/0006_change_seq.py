from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_sync')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ChangeCounter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('value', fields.BigIntField(default=0)),
            ],
            options={'table': 'change_counter', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One row: the server sequence that orders every change to a synced row (SYNC.md, pull).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='ItemMark',
            name='change_seq',
            field=fields.BigIntField(default=0, db_index=True, db_default=0),
        ),
        ops.AddField(
            model_name='ListItem',
            name='change_seq',
            field=fields.BigIntField(default=0, db_index=True, db_default=0),
        ),
        ops.AddField(
            model_name='Plan',
            name='change_seq',
            field=fields.BigIntField(default=0, db_index=True, db_default=0),
        ),
        ops.AddField(
            model_name='PlanStep',
            name='change_seq',
            field=fields.BigIntField(default=0, db_index=True, db_default=0),
        ),
        ops.AddField(
            model_name='ShoppingList',
            name='change_seq',
            field=fields.BigIntField(default=0, db_index=True, db_default=0),
        ),
        ops.AddField(
            model_name='Trip',
            name='change_seq',
            field=fields.BigIntField(default=0, db_index=True, db_default=0),
        ),
        ops.AddField(
            model_name='TripEvent',
            name='change_seq',
            field=fields.BigIntField(default=0, db_index=True, db_default=0),
        ),
    ]
