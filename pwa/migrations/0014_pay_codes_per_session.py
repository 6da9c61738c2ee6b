from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0013_stored_states_as_enums')]

    initial = False

    operations = [
        ops.AddField(
            model_name='PayToken',
            name='session',
            field=fields.ForeignKeyField('models.Session', source_field='session_id', null=True, db_constraint=True, to_field='id', related_name='pay_tokens', on_delete=OnDelete.CASCADE),
        ),
    ]
