from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from pwa.models import BudgetKind, LedgerKind, OrgKind, Outcome
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

class StoredAsBefore(ops.AlterField):
    """The same VARCHAR column with one more value the app may write: only the models' state
    changes. Run against the database, AlterField would rebuild "organisation",
    "ledger_entry" and "redemption" on SQLite, tables other tables refer to (see 0013)."""

    async def database_forward(self, *args, **kwargs) -> None:
        return None

    async def database_backward(self, *args, **kwargs) -> None:
        return None


SQLITE_AUDIT = [
    """CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
    BEGIN SELECT RAISE(ABORT, 'audit entries cannot be changed'); END""",
    """CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
    BEGIN SELECT RAISE(ABORT, 'audit entries cannot be deleted'); END""",
]
POSTGRES_AUDIT = [
    """CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit entries cannot be changed or deleted'; END $$""",
    """CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()""",
    # TRUNCATE skips row triggers: refuse it too.
    """CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()""",
]


class OnSqliteOnly(ops.RunSQL):
    """A statement SQLite needs and PostgreSQL does not."""

    def __init__(self, statement: str) -> None:
        super().__init__(sql="")
        self.statement = statement

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is not None and type(state_editor).__name__ == "SqliteSchemaEditor":
            await state_editor.client.execute_script(self.statement)


class AuditAppendOnly(ops.RunSQL):
    """The database refuses UPDATE and DELETE on audit_entry, whatever the app does (issue 17)."""

    def __init__(self) -> None:
        super().__init__(sql="")

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is None:
            return
        sqlite = type(state_editor).__name__ == "SqliteSchemaEditor"
        for statement in SQLITE_AUDIT if sqlite else POSTGRES_AUDIT:
            await state_editor.client.execute_script(statement)


# What was there before issue 17 keeps working: a store made on the command line was a friendly
# shop already, and the vouchers a centre gave came out of a budget of that size (so the
# programme's identity holds from the start: granted = unissued + outstanding + spent).
BEFORE_ISSUE_17 = [
    "UPDATE organisation SET approved_at = created_at WHERE kind = 'merchant'",
    """INSERT INTO centre_budget (centre_id, granted, unissued, updated_at)
    SELECT o.id, COALESCE((SELECT SUM(v.face_value) FROM voucher v WHERE v.centre_id = o.id), 0),
    0, CURRENT_TIMESTAMP FROM organisation o WHERE o.kind = 'centre'""",
    """INSERT INTO budget_entry (centre_id, kind, amount, note, created_at)
    SELECT centre_id, 'grant', granted, 'vouchers issued before budgets', CURRENT_TIMESTAMP
    FROM centre_budget WHERE granted > 0""",
    """INSERT INTO budget_entry (centre_id, kind, amount, note, created_at)
    SELECT centre_id, 'issue', -granted, 'vouchers issued before budgets', CURRENT_TIMESTAMP
    FROM centre_budget WHERE granted > 0""",
]


class Migration(migrations.Migration):
    dependencies = [('models', '0017_sync_removals')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('actor_id', fields.IntField(null=True)),
                ('actor', fields.CharField(default='', max_length=120)),
                ('action', fields.CharField(db_index=True, max_length=40)),
                ('object_kind', fields.CharField(default='', max_length=30)),
                ('object_id', fields.CharField(default='', max_length=64)),
                ('organisation_id', fields.IntField(null=True, db_index=True)),
                ('before', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'audit_entry', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Append-only: who did what that moves money or changes who may do what, when, with the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CentreBudget',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('centre', fields.OneToOneField('models.Organisation', source_field='centre_id', db_constraint=True, to_field='id', related_name='budget', on_delete=OnDelete.RESTRICT)),
                ('granted', fields.BigIntField(default=0)),
                ('unissued', fields.BigIntField(default=0)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'centre_budget', 'app': 'models', 'pk_attr': 'id', 'table_description': 'What a centre may still issue. `unissued` changes only with a BudgetEntry in the same'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OrgInvitation',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='staff_invitations', on_delete=OnDelete.CASCADE)),
                ('admin', fields.BooleanField(default=False)),
                ('label', fields.CharField(default='', max_length=100)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_by', fields.ForeignKeyField('models.Account', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='staff_invitations_sent', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('accepted_by', fields.ForeignKeyField('models.Account', source_field='accepted_by_id', null=True, db_constraint=True, to_field='id', related_name='staff_invitations_accepted', on_delete=OnDelete.SET_NULL)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'org_invitation', 'app': 'models', 'pk_attr': 'id', 'table_description': "A one-time link into an organisation's staff (issue 17): programme staff invite centre"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Statement',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('merchant', fields.ForeignKeyField('models.Organisation', source_field='merchant_id', db_constraint=True, to_field='id', related_name='statements', on_delete=OnDelete.RESTRICT)),
                ('first_day', fields.DateField()),
                ('last_day', fields.DateField()),
                ('payments', fields.BigIntField(default=0)),
                ('reversals', fields.BigIntField(default=0)),
                ('total', fields.BigIntField(default=0)),
                ('created_by', fields.ForeignKeyField('models.Account', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='statements_made', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('paid_reference', fields.CharField(default='', max_length=100)),
                ('paid_by', fields.ForeignKeyField('models.Account', source_field='paid_by_id', null=True, db_constraint=True, to_field='id', related_name='statements_paid', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'statement', 'app': 'models', 'pk_attr': 'id', 'table_description': 'What the programme owes a merchant for a closed period: its lines are fixed when it is'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatementLine',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('statement', fields.ForeignKeyField('models.Statement', source_field='statement_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.RESTRICT)),
                ('entry', fields.OneToOneField('models.LedgerEntry', source_field='entry_id', db_constraint=True, to_field='id', related_name='statement_line', on_delete=OnDelete.RESTRICT)),
                ('adjustment', fields.BooleanField(default=False)),
                ('code', fields.CharField(default='', max_length=20)),
            ],
            options={'table': 'statement_line', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VoucherBatch',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('centre', fields.ForeignKeyField('models.Organisation', source_field='centre_id', db_constraint=True, to_field='id', related_name='voucher_batches', on_delete=OnDelete.RESTRICT)),
                ('face_value', fields.IntField()),
                ('valid_from', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('valid_until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_by', fields.ForeignKeyField('models.Account', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='voucher_batches', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'voucher_batch', 'app': 'models', 'unique_together': (('centre', 'valid_from', 'valid_until'),), 'pk_attr': 'id', 'table_description': "One voucher for every family of a centre for a period. Its vouchers' ids are derived"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BudgetEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('centre', fields.ForeignKeyField('models.Organisation', source_field='centre_id', db_constraint=True, to_field='id', related_name='budget_entries', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='GRANT: grant\nISSUE: issue\nRETURN: return', enum_type=BudgetKind, max_length=10)),
                ('amount', fields.BigIntField()),
                ('voucher', fields.ForeignKeyField('models.Voucher', source_field='voucher_id', null=True, db_constraint=True, to_field='id', related_name='budget_entries', on_delete=OnDelete.RESTRICT)),
                ('batch', fields.ForeignKeyField('models.VoucherBatch', source_field='batch_id', null=True, db_constraint=True, to_field='id', related_name='budget_entries', on_delete=OnDelete.RESTRICT)),
                ('note', fields.CharField(default='', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('request_id', fields.UUIDField(null=True, unique=True)),
            ],
            options={'table': 'budget_entry', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Immutable: a change of what a centre may still issue. Its sum per centre is'},
            bases=['Model'],
        ),
        StoredAsBefore(
            model_name='Redemption',
            name='outcome',
            field=fields.CharEnumField(description='PAID: paid\nNOT_ENOUGH: not_enough\nEXPIRED: expired\nNOT_YET: not_yet\nNOT_ACCEPTED: not_accepted\nUSED: used\nINVALID: invalid', enum_type=Outcome, max_length=20),
        ),
        StoredAsBefore(
            model_name='LedgerEntry',
            name='kind',
            field=fields.CharEnumField(description='ISSUE: issue\nREDEEM: redeem\nREVERSE: reverse\nRETURN: return', enum_type=LedgerKind, max_length=10),
        ),
        StoredAsBefore(
            model_name='Organisation',
            name='kind',
            field=fields.CharEnumField(description='CENTRE: centre\nMERCHANT: merchant\nCHAIN: chain\nPROGRAMME: programme', enum_type=OrgKind, max_length=20),
        ),
        ops.AddField(
            model_name='Organisation',
            name='approved_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Organisation',
            name='chain',
            field=fields.ForeignKeyField('models.Organisation', source_field='chain_id', null=True, db_constraint=True, to_field='id', related_name='stores', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Organisation',
            name='checklist_confirmed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Organisation',
            name='ended_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Organisation',
            name='guide_read_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Organisation',
            name='suspended_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Voucher',
            name='batch',
            field=fields.ForeignKeyField('models.VoucherBatch', source_field='batch_id', null=True, db_constraint=True, to_field='id', related_name='vouchers', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Voucher',
            name='returned_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        # Added on its own: SQLite then rebuilds the (new, empty) table with the CHECK, which
        # creating it with the constraint in its options does not do (as in 0004).
        ops.AddConstraint(
            model_name='CentreBudget',
            constraint=CheckConstraint(check='unissued >= 0', name='centre_budget_not_negative'),
        ),
        # SQLite's rebuild for the CHECK above leaves out the column's UNIQUE: one budget row
        # per centre, made a unique index there (PostgreSQL keeps its constraint).
        OnSqliteOnly(
            "CREATE UNIQUE INDEX IF NOT EXISTS centre_budget_one_per_centre "
            "ON centre_budget (centre_id)"
        ),
        AuditAppendOnly(),
        ops.RunSQL(sql=BEFORE_ISSUE_17),
    ]
