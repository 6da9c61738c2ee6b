from tortoise import migrations
from tortoise.migrations import operations as ops
from pwa.models import MarkState
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Photo',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('family', fields.ForeignKeyField('models.Family', source_field='family_id', db_constraint=True, to_field='id', related_name='photos', on_delete=OnDelete.CASCADE)),
                ('label', fields.CharField(max_length=60)),
                ('area', fields.CharField(max_length=30)),
                ('file_name', fields.CharField(unique=True, max_length=80)),
                ('width', fields.IntField()),
                ('height', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'photo', 'app': 'models', 'pk_attr': 'id', 'table_description': "A family's own photo of a product the person knows, kept as a reusable family item."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ShoppingList',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('family', fields.ForeignKeyField('models.Family', source_field='family_id', db_constraint=True, to_field='id', related_name='lists', on_delete=OnDelete.CASCADE)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', null=True, db_constraint=True, to_field='id', related_name='lists', on_delete=OnDelete.SET_NULL)),
                ('name', fields.CharField(max_length=60)),
                ('shop', fields.ForeignKeyField('models.Organisation', source_field='shop_id', null=True, db_constraint=True, to_field='id', related_name='lists', on_delete=OnDelete.SET_NULL)),
                ('budget', fields.IntField(null=True)),
                ('archived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'shopping_list', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ListItem',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('family', fields.ForeignKeyField('models.Family', source_field='family_id', db_constraint=True, to_field='id', related_name='list_items', on_delete=OnDelete.CASCADE)),
                ('list', fields.ForeignKeyField('models.ShoppingList', source_field='list_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('pictogram', fields.CharField(default='', max_length=40)),
                ('photo', fields.ForeignKeyField('models.Photo', source_field='photo_id', null=True, db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.SET_NULL)),
                ('label', fields.CharField(default='', max_length=60)),
                ('quantity', fields.SmallIntField(default=1)),
                ('note', fields.CharField(default='', max_length=100)),
                ('price', fields.IntField(null=True)),
                ('area', fields.CharField(max_length=30)),
                ('position', fields.CharField(max_length=60)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'list_item', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ItemMark',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('family', fields.ForeignKeyField('models.Family', source_field='family_id', db_constraint=True, to_field='id', related_name='item_marks', on_delete=OnDelete.CASCADE)),
                ('item', fields.ForeignKeyField('models.ListItem', source_field='item_id', db_constraint=True, to_field='id', related_name='marks', on_delete=OnDelete.CASCADE)),
                ('state', fields.CharEnumField(description='TICKED: ticked\nNOT_FOUND: not_found\nCLEARED: cleared', enum_type=MarkState, max_length=20)),
                ('client_time', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('device', fields.ForeignKeyField('models.DeviceLink', source_field='device_id', null=True, db_constraint=True, to_field='id', related_name='marks', on_delete=OnDelete.SET_NULL)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='marks', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'item_mark', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Append-only: an item was put in the basket, not found, or the mark was undone.'},
            bases=['Model'],
        ),
    ]
