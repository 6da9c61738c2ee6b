from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0003_plans_and_trips')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CentreFamily',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('centre', fields.ForeignKeyField('models.Organisation', source_field='centre_id', db_constraint=True, to_field='id', related_name='centre_families', on_delete=OnDelete.CASCADE)),
                ('family', fields.ForeignKeyField('models.Family', source_field='family_id', db_constraint=True, to_field='id', related_name='centres', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'centre_family', 'app': 'models', 'unique_together': (('centre', 'family'),), 'pk_attr': 'id', 'table_description': 'A family registered with a rehabilitation centre, which issues it vouchers.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Voucher',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('family', fields.ForeignKeyField('models.Family', source_field='family_id', db_constraint=True, to_field='id', related_name='vouchers', on_delete=OnDelete.CASCADE)),
                ('centre', fields.ForeignKeyField('models.Organisation', source_field='centre_id', db_constraint=True, to_field='id', related_name='vouchers_issued', on_delete=OnDelete.RESTRICT)),
                ('face_value', fields.IntField()),
                ('balance', fields.IntField()),
                ('valid_from', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('valid_until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharField(default='active', max_length=20)),
                ('everywhere', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'voucher', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PayToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('voucher', fields.ForeignKeyField('models.Voucher', source_field='voucher_id', db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('code', fields.CharField(unique=True, max_length=12)),
                ('nonce', fields.CharField(unique=True, max_length=32)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'pay_token', 'app': 'models', 'pk_attr': 'id', 'table_description': "A single-use code the person's phone shows at the till, fetched while online."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Redemption',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('idempotency_key', fields.CharField(unique=True, max_length=100)),
                ('request_hash', fields.CharField(max_length=64)),
                ('voucher', fields.ForeignKeyField('models.Voucher', source_field='voucher_id', null=True, db_constraint=True, to_field='id', related_name='redemptions', on_delete=OnDelete.RESTRICT)),
                ('shop', fields.ForeignKeyField('models.Organisation', source_field='shop_id', db_constraint=True, to_field='id', related_name='redemptions', on_delete=OnDelete.RESTRICT)),
                ('amount', fields.IntField()),
                ('token_nonce', fields.CharField(null=True, unique=True, max_length=32)),
                ('outcome', fields.CharField(max_length=20)),
                ('balance_after', fields.IntField(null=True)),
                ('staff', fields.ForeignKeyField('models.Account', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='redemptions', on_delete=OnDelete.SET_NULL)),
                ('reversed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'redemption', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One request from a till, answered once: the same Idempotency-Key gets the same answer.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LedgerEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('voucher', fields.ForeignKeyField('models.Voucher', source_field='voucher_id', db_constraint=True, to_field='id', related_name='ledger', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharField(max_length=10)),
                ('amount', fields.IntField()),
                ('shop', fields.ForeignKeyField('models.Organisation', source_field='shop_id', null=True, db_constraint=True, to_field='id', related_name='ledger_entries', on_delete=OnDelete.RESTRICT)),
                ('redemption', fields.ForeignKeyField('models.Redemption', source_field='redemption_id', null=True, db_constraint=True, to_field='id', related_name='ledger_entries', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'ledger_entry', 'app': 'models', 'pk_attr': 'id', 'table_description': "Immutable: issue (+), redeem (-), reverse (+). A voucher's balance is their sum."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VoucherShop',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('voucher', fields.ForeignKeyField('models.Voucher', source_field='voucher_id', db_constraint=True, to_field='id', related_name='shops', on_delete=OnDelete.CASCADE)),
                ('shop', fields.ForeignKeyField('models.Organisation', source_field='shop_id', db_constraint=True, to_field='id', related_name='voucher_links', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'voucher_shop', 'app': 'models', 'unique_together': (('voucher', 'shop'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='OrgMembership',
            name='admin',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Organisation',
            name='accepts_vouchers',
            field=fields.BooleanField(default=True, db_default=True),
        ),
        ops.AddField(
            model_name='Organisation',
            name='entrance_photo',
            field=fields.CharField(default='', db_default='', max_length=80),
        ),
        ops.AddField(
            model_name='Organisation',
            name='opening_hours',
            field=fields.CharField(default='', db_default='', max_length=120),
        ),
        ops.AddField(
            model_name='Organisation',
            name='quiet_hours',
            field=fields.CharField(default='', db_default='', max_length=120),
        ),
        ops.AddField(
            model_name='Organisation',
            name='staff_know',
            field=fields.CharField(default='', db_default='', max_length=500),
        ),
        ops.AddField(
            model_name='Organisation',
            name='till_photo',
            field=fields.CharField(default='', db_default='', max_length=80),
        ),
        # Added on its own: SQLite then rebuilds the table with the CHECK, which creating the
        # table with the constraint in its options does not do.
        ops.AddConstraint(
            model_name='Voucher',
            constraint=CheckConstraint(check='balance >= 0', name='voucher_balance_not_negative'),
        ),
    ]
