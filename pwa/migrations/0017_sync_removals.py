from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0016_accounts_and_consent')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SyncRemoval',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('family', fields.ForeignKeyField('models.Family', source_field='family_id', db_constraint=True, to_field='id', related_name='sync_removals', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=10)),
                ('row_id', fields.UUIDField()),
                ('change_seq', fields.BigIntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sync_removal', 'app': 'models', 'indexes': [Index(fields=['family_id', 'change_seq'])], 'pk_attr': 'id', 'table_description': 'A synced row deleted for good (a person, their lists and plans, issue 16). Pull sends its'},
            bases=['Model'],
        ),
    ]
