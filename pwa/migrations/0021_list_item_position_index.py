from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0020_blobs')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='ListItem',
            index=Index(fields=['list_id', 'position']),
        ),
    ]
