"""Issue 19, item 4: photos, voice clips and shop photos kept in the database (table blob), so
app processes with separate data folders serve the same families. The files an older release
wrote under DATA_DIR are copied in by `python -m pwa migrate` and at the app's start
(pwa/legacy_files.py), not here: a migration does not know which host holds them."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0019_trip_second_generation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Blob',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=120)),
                ('data', fields.BinaryField()),
                ('content_type', fields.CharField(max_length=40)),
                ('size', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'blob', 'app': 'models', 'pk_attr': 'key', 'table_description': "Bytes kept in the database (issue 19): a family's photos, the voice clips and the shops'"},
            bases=['Model'],
        ),
    ]
