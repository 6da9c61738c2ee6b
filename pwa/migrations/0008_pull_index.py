from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_field_history')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='ItemMark',
            index=Index(fields=['family_id', 'change_seq']),
        ),
        ops.AddIndex(
            model_name='ListItem',
            index=Index(fields=['family_id', 'change_seq']),
        ),
        ops.AddIndex(
            model_name='Plan',
            index=Index(fields=['family_id', 'change_seq']),
        ),
        ops.AddIndex(
            model_name='PlanStep',
            index=Index(fields=['family_id', 'change_seq']),
        ),
        ops.AddIndex(
            model_name='ShoppingList',
            index=Index(fields=['family_id', 'change_seq']),
        ),
    ]
