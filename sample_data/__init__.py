"""Synthetic landing data: a realistic, deterministic sample of the four raw sources.

`generate(out_dir, customers, seed, *, end_date, file_format, dirty_rate, currency,
daily_files)` writes::

    <out>/contacts/contacts_YYYY-MM.csv              contact versions (UTC month of updated_at)
    <out>/transactions/transactions_YYYY-MM.csv      purchases, refunds (UTC month of occurred_at)
    <out>/recall_touches/recall_touches_YYYY-MM.csv  touches, holdout rows (UTC month of sent_at)
    <out>/campaigns/campaigns.csv                    one row per monthly recall campaign
    <out>/truth.json                                 what was planted (not a source)

(`.parquet` with `file_format="parquet"`). The columns are exactly the landing contract of
`orchestration.contract`.

With `daily_files=True` (`recall generate --daily-files`) every source has one file per UTC
day that has rows instead: `contacts_YYYY-MM-DD.csv`, `transactions_YYYY-MM-DD.csv` and
`recall_touches_YYYY-MM-DD.csv` by the same timestamps, and `campaigns_YYYY-MM-DD.csv` by
`starts_on` (no touch is sent before its campaign starts, so the days up to D carry every
campaign their touches name). The rows, their order and `truth.json` are those of the
monthly layout: each monthly file is its daily files one after the other, a bad row sits in
the day of the row it was copied from, a duplicate in the day of the later file's row it
follows, and the re-delivered file is the last day's transactions file
(`transactions_YYYY-MM-DD_resend.csv`, the one path in `truth.json` that differs).
`deliver_days(daily_landing, target, through)` copies such a landing into another landing
directory up to a day, to deliver it day by day; `landing_days(daily_landing)` lists its
days (see `sample_data.delivery`).

The business: customers sign up over about three years (more each month) in eight regions,
each with its own UTC offset and currency; about 15% never buy. Buyers purchase at their own
pace, drift away and stop; purchases peak in the local evening, so late purchases west of UTC
fall on the next UTC day. About 4% of purchases are refunded. CRM versions mostly withdraw
opt-ins. One win-back campaign a month targets dormant and lapsed customers (more than 65 days
since their last qualifying purchase), holds a tenth of them out as a control group, contacts
the rest on a channel they allow, retries unanswered calls, records lapse reasons on reached
calls and visits, and by mistake also touches a few active customers.

Currencies: by default (`currency=None`) every amount is in a local currency (transactions
in the customer's region's, campaigns and their touches in USD or EUR), so the history
starts after the first shipped currency rate (2022-01-03) and `end_date` must leave a year
after it. With `currency="USD"` (any code of `reference.CURRENCIES`; another raises
ValueError) every amount of every source is in that one currency: transaction amounts and
campaign fixed costs are the same USD-based values converted with its `CURRENCY_PER_USD`
and rounded to its minor unit, touch costs converted and kept to three decimals. For a seed
and `end_date` the business is otherwise the same (customers, times, touches, planted
truth), unless the multi-currency history had to start later, after the rates. Such a
history needs no rates when that currency is the reporting currency (SPEC §4: it converts
at exactly 1 on any date), so it always covers three years and may start before 2022, e.g.
`end_date` 1998-12-31 gives 1996-1998.

The planted truth (`truth.json`): a targeted customer returns within 30 x 24 h of their first
touch or control row of the campaign with probability `baseline_return_probability` when held
out and that plus `uplift_by_channel[channel]` when contacted; a customer who returns buys
again over the following weeks. Its keys:

- `seed`, `customers`, `end_date`, `first_signup_date`, `currency` (the single currency, or
  null for the multi-currency default), `file_format`, `dirty_rate`
- `dirty_reporting_currency`: the reporting currency (RECALL_CURRENCY) that `dirty` holds
  for: USD by default (EUR gives the same), the single currency when there is one (a
  history older than the rates loads only in its own currency); `no_rate_currency`: the
  currency of the `no_rate_for_date` rows (GBP, or CAD for a GBP sample)
- `attribution_window_days` (30), `dormant_after_days`, `baseline_return_probability`,
  `uplift_by_channel`, `control_share`
- `counts` (clean rows per source), `rows_written` (rows in the files, bad rows included,
  the re-delivered file not), `prospects` (customers without a qualifying purchase),
  `transactions_by_kind`, `touches_by_channel`
- `mistargeted_first_touches`: first touches of a campaign sent to customers who had bought
  within 30 days (ineligible by SPEC §6)
- `planted_returns`: per campaign, `window_complete` (every window ended by `end_date`) and
  `by_channel` (control included) with `customers` and `returned` (returns up to `end_date`),
  which the SPEC §6 "Effect" rule reproduces exactly from the files
- `dirty` {source: {reason: rows}}, `exact_duplicates` {source: rows}, `parked`
  {source: rows}, `redelivered_files` [paths under the landing directory]

With `dirty_rate` > 0 the files also carry that share of bad rows, each an extra row with
exactly one defect, counted per quarantine reason as ingest reports it with the reporting
currency `dirty_reporting_currency` (a `no_rate_for_date` row is dated 2021, before the
first rate, and carries `no_rate_currency`, since an amount in the reporting currency needs
no rate; the `unknown_currency` codes ARS, MXN and XXX have no rates and are not the
reporting currency; no other reason is about currency). Exact duplicates and conflicting
duplicates sit in a later file than their original; parked rows reference contact ids that
never arrive; the latest transactions file is delivered a second time under another name.
"""

from sample_data.delivery import deliver_days, file_day, landing_days
from sample_data.landing import (
    DEFAULT_END_DATE,
    TRUTH_FILE,
    GenerationSummary,
    generate,
)

__all__ = [
    "DEFAULT_END_DATE",
    "TRUTH_FILE",
    "GenerationSummary",
    "deliver_days",
    "file_day",
    "generate",
    "landing_days",
]
