from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_push')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='ItemMark',
            index=Index(fields=['item_id', 'client_time']),
        ),
        ops.AddIndex(
            model_name='ListItem',
            index=Index(fields=['list_id']),
        ),
        ops.AddIndex(
            model_name='PlanStep',
            index=Index(fields=['plan_id']),
        ),
        ops.AddIndex(
            model_name='Trip',
            index=Index(fields=['person_id', 'started_at']),
        ),
        ops.AddIndex(
            model_name='TripEvent',
            index=Index(fields=['trip_id']),
        ),
        ops.AddIndex(
            model_name='TripNote',
            index=Index(fields=['trip_id']),
        ),
    ]
