from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_pay_codes_per_session')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CentreRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('centre', fields.ForeignKeyField('models.Organisation', source_field='centre_id', db_constraint=True, to_field='id', related_name='family_requests', on_delete=OnDelete.CASCADE)),
                ('family', fields.ForeignKeyField('models.Family', source_field='family_id', db_constraint=True, to_field='id', related_name='centre_requests', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'centre_request', 'app': 'models', 'unique_together': (('centre', 'family'),), 'pk_attr': 'id', 'table_description': 'A centre asks to join a family that uses Startrip already (typed its family code).'},
            bases=['Model'],
        ),
    ]
