"""Settings precedence (option over environment variable over default), the checks on each
value, and what a run hands to dbt."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from orchestration.settings import DEFAULT_HOME, Settings, SettingsError, load_settings
from orchestration.transform.command import dbt_build_args, dbt_vars

ENV = {
    "RECALL_HOME": "/srv/recall",
    "RECALL_LANDING": "/srv/drop",
    "RECALL_TIMEZONE": "Europe/Berlin",
    "RECALL_CURRENCY": "eur",
    "RECALL_AS_OF": "2026-10-31",
}


def test_defaults_without_options_or_environment() -> None:
    settings = load_settings({})

    home = DEFAULT_HOME.resolve()
    assert settings == Settings(
        home=home, landing_dir=home / "landing", timezone="UTC", currency="USD", as_of_date=None
    )
    assert settings.warehouse_path == home / "warehouse.duckdb"
    assert settings.published_path == home / "published" / "recall.duckdb"


def test_environment_variables_override_the_defaults() -> None:
    settings = load_settings(ENV)

    assert settings == Settings(
        home=Path("/srv/recall"),
        landing_dir=Path("/srv/drop"),
        timezone="Europe/Berlin",
        currency="EUR",
        as_of_date=date(2026, 10, 31),
    )


def test_options_override_the_environment_variables() -> None:
    settings = load_settings(
        ENV,
        landing_dir=Path("/mnt/files"),
        timezone="America/New_York",
        currency="gbp",
        as_of_date="2026-06-30",
    )

    assert (settings.home, settings.landing_dir) == (Path("/srv/recall"), Path("/mnt/files"))
    assert (settings.timezone, settings.currency) == ("America/New_York", "GBP")
    assert settings.as_of_date == date(2026, 6, 30)


def test_an_option_not_given_falls_back_to_its_variable() -> None:
    settings = load_settings(ENV, timezone=None, currency=None)

    assert (settings.timezone, settings.currency) == ("Europe/Berlin", "EUR")


def test_the_landing_directory_defaults_to_the_home_landing_folder() -> None:
    settings = load_settings({"RECALL_HOME": "/srv/recall"})

    assert settings.landing_dir == Path("/srv/recall/landing")


@pytest.mark.parametrize(
    ("environ", "options", "source", "message"),
    [
        (
            {"RECALL_AS_OF": "31/10/2026"},
            {},
            "RECALL_AS_OF",
            "'31/10/2026' is not a date: write the business date as YYYY-MM-DD",
        ),
        (
            {},
            {"as_of_date": "2026-02-30"},
            "--as-of",
            "'2026-02-30' is not a date: write the business date as YYYY-MM-DD",
        ),
        (
            {"RECALL_TIMEZONE": "Mars/Olympus"},
            {},
            "RECALL_TIMEZONE",
            "unknown timezone 'Mars/Olympus': use an IANA name such as UTC or Europe/Berlin",
        ),
        (
            {},
            {"currency": "dollar"},
            "--currency",
            "'dollar' is not a currency code: use a three-letter ISO 4217 code such as USD or EUR",
        ),
    ],
)
def test_a_bad_value_is_refused_naming_where_it_came_from(
    environ: dict, options: dict, source: str, message: str
) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(environ, **options)

    assert (error.value.source, error.value.message) == (source, message)


def test_dbt_gets_the_reporting_settings_and_an_as_of_date_only_when_one_is_set() -> None:
    default = load_settings({"RECALL_TIMEZONE": "Asia/Tokyo", "RECALL_CURRENCY": "JPY"})
    pinned = load_settings({}, as_of_date="2026-06-30")

    # Without one, D is dbt's rule (macro as_of_date): the latest transaction date.
    assert dbt_vars(default) == {"reporting_timezone": "Asia/Tokyo", "reporting_currency": "JPY"}
    assert dbt_vars(pinned) == {
        "reporting_timezone": "UTC",
        "reporting_currency": "USD",
        "as_of_date": "2026-06-30",
    }


def test_the_build_leaves_unit_tests_to_development_and_passes_the_vars_as_json() -> None:
    args = dbt_build_args(load_settings({}, as_of_date="2026-06-30"))

    assert args[:4] == ["build", "--exclude-resource-type", "unit_test", "--vars"]
    assert json.loads(args[4])["as_of_date"] == "2026-06-30"


def test_an_as_of_date_after_today_is_refused_and_today_is_not() -> None:
    today = date(2026, 12, 2)

    assert load_settings({"RECALL_AS_OF": "2026-12-02"}, today=today).as_of_date == today
    with pytest.raises(SettingsError) as error:
        load_settings({}, today=today, as_of_date="2099-01-01")

    assert (error.value.source, error.value.message) == (
        "--as-of",
        "2099-01-01 is after today (2026-12-02 in UTC): the as-of date is a business date "
        "that has happened; leave it unset for the latest transaction date",
    )


def test_today_is_the_date_in_the_reporting_timezone() -> None:
    # UTC+14 and UTC-11 are always on different calendar days: Kiritimati's today is still
    # tomorrow in Pago Pago.
    kiritimati_today = datetime.now(ZoneInfo("Pacific/Kiritimati")).date().isoformat()

    ahead = load_settings({}, timezone="Pacific/Kiritimati", as_of_date=kiritimati_today)
    assert ahead.as_of_date.isoformat() == kiritimati_today
    with pytest.raises(SettingsError, match=r"is after today \(.* in Pacific/Pago_Pago\)"):
        load_settings({}, timezone="Pacific/Pago_Pago", as_of_date=kiritimati_today)


def test_the_gate_vars_default_to_dbt_project_and_are_set_by_recall_var_variables() -> None:
    defaults = load_settings({})
    assert (
        defaults.max_quarantine_share,
        defaults.min_volume_ratio,
        defaults.freshness_lag_days,
        defaults.allow_shrink,
    ) == (0.05, 0.5, 7, False)

    settings = load_settings(
        {
            "RECALL_VAR_MAX_QUARANTINE_SHARE": "0.2",
            "RECALL_VAR_MIN_VOLUME_RATIO": "0",
            "RECALL_VAR_FRESHNESS_LAG_DAYS": "30",
        },
        allow_shrink=True,
    )
    assert (
        settings.max_quarantine_share,
        settings.min_volume_ratio,
        settings.freshness_lag_days,
        settings.allow_shrink,
    ) == (0.2, 0.0, 30, True)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("RECALL_VAR_MAX_QUARANTINE_SHARE", "1.5", "1.5 is not a share: use a number in [0, 1]"),
        ("RECALL_VAR_MIN_VOLUME_RATIO", "half", "'half' is not a number"),
        ("RECALL_VAR_FRESHNESS_LAG_DAYS", "-1", "-1 is negative: use a number of days >= 0"),
        ("RECALL_VAR_FRESHNESS_LAG_DAYS", "2.5", "'2.5' is not a whole number"),
    ],
)
def test_a_bad_gate_var_names_its_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({variable: value})

    assert (raised.value.source, raised.value.message) == (variable, message)
