from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0021_list_item_position_index')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='ListItem',
            index=Index(fields=['list_id', 'deleted_at']),
        ),
    ]
