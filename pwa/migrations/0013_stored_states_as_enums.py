from tortoise import migrations
from tortoise.migrations import operations as ops
from pwa.models import LedgerKind, Outcome, TripEventKind, VoucherStatus
from tortoise import fields

class StoredAsBefore(ops.AlterField):
    """The same VARCHAR column, now read as an enum by the app: only the models' state changes.
    Run against the database, AlterField would rebuild four tables on SQLite (dropping their
    indexes, with the voucher table referenced by others) for no change in any column."""

    async def database_forward(self, *args, **kwargs) -> None:
        return None

    async def database_backward(self, *args, **kwargs) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('models', '0012_sessions')]

    initial = False

    operations = [
        StoredAsBefore(
            model_name='LedgerEntry',
            name='kind',
            field=fields.CharEnumField(description='ISSUE: issue\nREDEEM: redeem\nREVERSE: reverse', enum_type=LedgerKind, max_length=10),
        ),
        StoredAsBefore(
            model_name='Redemption',
            name='outcome',
            field=fields.CharEnumField(description='PAID: paid\nNOT_ENOUGH: not_enough\nEXPIRED: expired\nNOT_ACCEPTED: not_accepted\nUSED: used\nINVALID: invalid', enum_type=Outcome, max_length=20),
        ),
        StoredAsBefore(
            model_name='TripEvent',
            name='kind',
            field=fields.CharEnumField(description='START: start\nSTEP_DONE: step_done\nSTEP_BACK: step_back\nHELP_SHOWN: help_shown\nHELP_CLOSED: help_closed\nTIMER_STARTED: timer_started\nFINISH: finish\nFEELING_BEFORE: feeling_before\nFEELING_AFTER: feeling_after', enum_type=TripEventKind, max_length=20),
        ),
        StoredAsBefore(
            model_name='Voucher',
            name='status',
            field=fields.CharEnumField(default=VoucherStatus.ACTIVE, description='ACTIVE: active\nCANCELLED: cancelled', enum_type=VoucherStatus, max_length=20),
        ),
    ]
