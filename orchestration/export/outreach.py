"""The recall team's outreach export (SPEC §8, §10): the contactable dormant and lapsed
customers, by recall tier, then by value, with their name and the contact details of the
channels they may be contacted on. The one output that carries personal data.

It reads the working warehouse, the last checked build and the only file that holds the raw
contacts, read-only. It starts from ``lapse_tiers`` (dormant and lapsed as of D, with the
tier, value_score and the contact caps of SPEC §5.3) and keeps the customers the caps allow
to be touched on D + 1. Consent, unlike every metric, is not taken as of D: a channel is
allowed only when the newest version of the contact record (by updated_at, even when updated
after D, SPEC §4's one exception) opts in to it and holds the detail it needs (an email
address for email, a phone number for sms and phone). ``push`` needs no detail (the app
reaches the customer by customer_id); ``visit`` and ``messenger`` have no opt-in in the
contact records and no address or handle, so they are never offered.

The file is ``$RECALL_HOME/exports/outreach_<D>.csv``, readable by its owner only; its first
line says it holds personal data.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from orchestration.lib.sql import sql_list
from orchestration.settings import Settings

# The channels a customer can opt in to, in the order of lapse_tiers.contactable_channels.
OUTREACH_CHANNELS: tuple[str, ...] = ("sms", "push", "email", "phone")
# Touch channels the export never offers, and why.
UNOFFERED_CHANNELS: dict[str, str] = {
    "visit": "the contact records hold no opt-in to visits and no address",
    "messenger": "the contact records hold no opt-in to messengers and no messenger handle",
}
RECALL_TIERS: tuple[int, ...] = (1, 2, 3, 4, 5)

NOTICE = (
    "# PERSONAL DATA (names, email addresses, phone numbers), for the recall team only: do not "
    "share this file or load it into a BI tool. Dormant and lapsed customers as of "
    "{as_of_date} whom the contact caps allow to contact on {next_day}, newest opt-outs applied."
)

# The customers to list, best first: of the tiers {tiers}, allowed on the channels
# {channels}, the first {limit} (a number, or all).
_QUERY = """
with

lapse_tiers as (

    select * from marts.lapse_tiers

),

contact_versions as (

    select * from intermediate.int_contact_versions

),

touchable_customers as (

    select * from lapse_tiers
    where can_touch_next_day and recall_tier in {tiers}

),

-- SPEC §4's one exception: consent comes from the newest record, even one updated after D.
newest_contact_records as (

    select * from contact_versions
    where is_current

),

channels_allowed as (

    select
        touchable_customers.*,
        newest_contact_records.full_name,
        newest_contact_records.email,
        newest_contact_records.phone,
        'sms' in {channels}
        and newest_contact_records.is_sms_opt_in
        and newest_contact_records.has_phone as is_sms_allowed,
        'push' in {channels}
        and newest_contact_records.is_push_opt_in as is_push_allowed,
        'email' in {channels}
        and newest_contact_records.is_email_opt_in
        and newest_contact_records.has_email as is_email_allowed,
        'phone' in {channels}
        and newest_contact_records.is_phone_opt_in
        and newest_contact_records.has_phone as is_phone_allowed

    from touchable_customers
    inner join newest_contact_records
        on touchable_customers.customer_id = newest_contact_records.customer_id

),

final as (

    select
        recall_tier,
        customer_id,
        full_name,
        concat_ws(
            ',',
            case when is_sms_allowed then 'sms' end,
            case when is_push_allowed then 'push' end,
            case when is_email_allowed then 'email' end,
            case when is_phone_allowed then 'phone' end
        ) as allowed_channels,
        case when is_email_allowed then email end as email,
        case when is_sms_allowed or is_phone_allowed then phone end as phone,
        value_score,
        lapse_band,
        r_days,
        stage,
        last_purchase_date,
        last_touch_date,
        touches_last_30d

    from channels_allowed
    where is_sms_allowed or is_push_allowed or is_email_allowed or is_phone_allowed

)

select * from final
-- By tier, then by value; of equal value the most recently lapsed first, who are likelier
-- to come back, and customer_id makes the order total.
order by recall_tier, value_score desc, r_days, customer_id
limit {limit}
"""

_FETCH_ROWS = 10_000


class ExportError(Exception):
    """The export cannot be written; the message says why and what to do."""


@dataclass(frozen=True)
class OutreachExport:
    path: Path
    as_of_date: date
    customers: int


def outreach_path(settings: Settings, as_of_date: date) -> Path:
    return settings.home / "exports" / f"outreach_{as_of_date.isoformat()}.csv"


def write_outreach_export(
    settings: Settings,
    *,
    tiers: tuple[int, ...] = (),
    channels: tuple[str, ...] = (),
    limit: int | None = None,
) -> OutreachExport:
    """Write the outreach list of the last published run: of ``tiers`` and customers allowed
    on ``channels`` (every tier and channel when empty; a customer shows only the contact
    details of these channels), the first ``limit`` customers (all when None).

    Raises :class:`ExportError` when no run has published in the home yet or its working
    warehouse cannot be read, and :class:`OSError` when the file cannot be written.
    """
    unknown = set(channels) - set(OUTREACH_CHANNELS)
    if unknown:
        raise ValueError(f"not outreach channels: {', '.join(sorted(unknown))}")
    with _open_warehouse(settings) as con:
        as_of_date = _as_of_date(con, settings)
        path = outreach_path(settings, as_of_date)
        try:
            rows = con.execute(_outreach_query(tiers, channels, limit))
            customers = _write_private_csv(path, _notice(as_of_date), rows)
        except duckdb.Error as error:
            raise ExportError(
                f"cannot read the outreach list from {settings.warehouse_path}: "
                f"{_first_line(error)}; run `recall run` to rebuild it"
            ) from error
    return OutreachExport(path=path, as_of_date=as_of_date, customers=customers)


def _outreach_query(tiers: tuple[int, ...], channels: tuple[str, ...], limit: int | None) -> str:
    # Literals, not bound parameters: binding a value makes duckdb import pandas (2 s).
    return _QUERY.format(
        tiers="(" + ", ".join(str(int(tier)) for tier in tiers or RECALL_TIERS) + ")",
        channels=sql_list(channels or OUTREACH_CHANNELS),
        limit="all" if limit is None else int(limit),
    )


def _open_warehouse(settings: Settings) -> duckdb.DuckDBPyConnection:
    path = settings.warehouse_path
    if not path.exists():
        raise ExportError(
            f"no run has published in {settings.home} yet ({path} does not exist): run "
            "`recall run` first; the export lists the customers of the last published run"
        )
    try:
        return duckdb.connect(str(path), read_only=True, config=settings.duckdb_config)
    except duckdb.Error as error:
        raise ExportError(
            f"cannot read the working warehouse {path}: {_first_line(error)}"
        ) from error


def _as_of_date(con: duckdb.DuckDBPyConnection, settings: Settings) -> date:
    """D of the last published build, whose marts the export reads."""
    try:
        (as_of_date,) = con.execute("select as_of_date from intermediate.int_as_of_date").fetchone()
        con.execute("select customer_id from marts.lapse_tiers limit 0")
    except duckdb.CatalogException as error:
        raise ExportError(
            f"the working warehouse {settings.warehouse_path} holds no complete build "
            f"({_first_line(error)}): run `recall run` to publish one"
        ) from error
    return as_of_date


def _notice(as_of_date: date) -> str:
    return NOTICE.format(
        as_of_date=as_of_date.isoformat(), next_day=(as_of_date + timedelta(days=1)).isoformat()
    )


def _write_private_csv(path: Path, notice: str, result: duckdb.DuckDBPyConnection) -> int:
    """Write ``notice``, the header and the rows of ``result`` to ``path``, readable and
    writable by its owner only, and return the number of rows. The rows go to a new file
    beside it that then replaces it, so a reader never sees half a list, and a file that
    was there keeps none of its permissions."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        # os.open's mode applies only to a new file, and the umask may narrow it.
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(notice + "\n")
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow([column[0] for column in result.description])
            count = 0
            while batch := result.fetchmany(_FETCH_ROWS):
                writer.writerows(batch)
                count += len(batch)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
