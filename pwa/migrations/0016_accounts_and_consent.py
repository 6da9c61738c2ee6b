from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from pwa.models import CodePurpose, Role
from tortoise.fields.base import OnDelete
from tortoise import fields

class SchemaTextOnSqlite(ops.AlterField):
    """A column that may now be empty (and a family's deletion that keeps its vouchers).

    On SQLite, AlterField rebuilds the table: it drops "account", which every membership and
    session refers to, and the drop's implicit DELETE runs their ON DELETE CASCADE (or fails).
    Dropping NOT NULL and changing a foreign key's ON DELETE leave every stored row as it is, so
    SQLite's documented way for such changes is used instead: the table's CREATE text is edited
    in sqlite_schema and the schema version raised (sqlite.org/lang_altertable.html, "Making
    Other Kinds Of Table Schema Changes"). PostgreSQL alters the column as usual."""

    def __init__(self, *, table: str, old: str, new: str, postgres: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.table, self.old, self.new, self.postgres = table, old, new, postgres

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is None or type(state_editor).__name__ != "SqliteSchemaEditor":
            await super().database_forward(app_label, old_state, new_state, state_editor)
            if state_editor is not None and self.postgres:
                # AlterField drops NOT NULL there but leaves a foreign key's ON DELETE as it was.
                await state_editor.client.execute_script(self.postgres)
            return
        client = state_editor.client
        rows = await client.execute_query_dict(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [self.table]
        )
        if not rows or rows[0]["sql"].count(self.old) != 1:
            raise RuntimeError(f"{self.table}: its schema is not the one this migration changes")
        version = (await client.execute_query_dict("PRAGMA schema_version"))[0]["schema_version"]
        await client.execute_script("PRAGMA writable_schema = ON")
        await client.execute_query(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
            [rows[0]["sql"].replace(self.old, self.new), self.table],
        )
        await client.execute_script(f"PRAGMA schema_version = {int(version) + 1}")
        await client.execute_script("PRAGMA writable_schema = OFF")
        check = await client.execute_query_dict("PRAGMA integrity_check")
        if check[0]["integrity_check"] != "ok":
            raise RuntimeError(f"{self.table}: integrity check failed after the change: {check}")


class Migration(migrations.Migration):
    dependencies = [('models', '0015_centre_requests')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ConsentRecord',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='consents', on_delete=OnDelete.SET_NULL)),
                ('family', fields.ForeignKeyField('models.Family', source_field='family_id', null=True, db_constraint=True, to_field='id', related_name='consents', on_delete=OnDelete.SET_NULL)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', null=True, db_constraint=True, to_field='id', related_name='consents', on_delete=OnDelete.SET_NULL)),
                ('notice_version', fields.CharField(max_length=20)),
                ('occasion', fields.CharField(max_length=20)),
                ('locale', fields.CharField(default='', max_length=10)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'consent_record', 'app': 'models', 'pk_attr': 'id', 'table_description': "A guardian agreed to the privacy notice of this version, for the family's sensitive data"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OneTimeCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('purpose', fields.CharEnumField(description='SIGN_IN: sign_in\nSIGN_UP: sign_up\nRESET: reset\nVERIFY_EMAIL: verify_email', enum_type=CodePurpose, max_length=20)),
                ('target', fields.CharField(db_index=True, max_length=254)),
                ('code_hash', fields.CharField(db_index=True, max_length=64)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='one_time_codes', on_delete=OnDelete.CASCADE)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('tries', fields.IntField(default=0)),
            ],
            options={'table': 'one_time_code', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A code sent by SMS or a link sent by email (issue 16): short-lived, single use, a few'},
            bases=['Model'],
        ),
        SchemaTextOnSqlite(
            table='account',
            old='"email" VARCHAR(254) NOT NULL UNIQUE',
            new='"email" VARCHAR(254) UNIQUE',
            model_name='Account',
            name='email',
            field=fields.CharField(null=True, unique=True, max_length=254),
        ),
        ops.AddField(
            model_name='Account',
            name='email_verified_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Account',
            name='mobile',
            field=fields.CharField(null=True, unique=True, max_length=20),
        ),
        ops.AddField(
            model_name='Invitation',
            name='centre',
            field=fields.ForeignKeyField('models.Organisation', source_field='centre_id', null=True, db_constraint=True, to_field='id', related_name='invitations', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Invitation',
            name='code_hash',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
        ops.AddField(
            model_name='Invitation',
            name='role',
            field=fields.CharEnumField(default=Role.CAREGIVER, description='GUARDIAN: guardian\nCAREGIVER: caregiver', db_default='caregiver', enum_type=Role, max_length=20),
        ),
        SchemaTextOnSqlite(
            table='voucher',
            old='"family_id" CHAR(36) NOT NULL REFERENCES "family" ("id") ON DELETE CASCADE',
            new='"family_id" CHAR(36) REFERENCES "family" ("id") ON DELETE SET NULL',
            postgres=(
                'ALTER TABLE "voucher" DROP CONSTRAINT "voucher_family_id_fkey", '
                'ADD CONSTRAINT "voucher_family_id_fkey" FOREIGN KEY ("family_id") '
                'REFERENCES "family" ("id") ON DELETE SET NULL'
            ),
            model_name='Voucher',
            name='family',
            field=fields.ForeignKeyField('models.Family', source_field='family_id', null=True, db_constraint=True, to_field='id', related_name='vouchers', on_delete=OnDelete.SET_NULL),
        ),
    ]
