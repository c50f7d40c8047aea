"""Settings precedence (option over environment variable over recall.toml over default), the
checks on each value and on the SPEC vars together, and what a run hands to dbt."""

from __future__ import annotations

import json
import os
import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
import yaml
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.settings import (
    DEFAULT_HOME,
    PROJECT_DIR,
    PROJECT_VARS,
    VAR_CHAINS,
    VARS,
    Settings,
    SettingsError,
    is_quick_start,
    load_settings,
    vars_help,
)
from orchestration.transform.command import dbt_build_args, dbt_build_env, dbt_vars

ENV = {
    "RECALL_HOME": "/srv/recall",
    "RECALL_LANDING": "/srv/drop",
    "RECALL_TIMEZONE": "Europe/Berlin",
    "RECALL_CURRENCY": "eur",
    "RECALL_AS_OF": "2026-10-31",
}


@pytest.fixture(autouse=True)
def _no_settings_file_of_the_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The default home is ./data: a recall.toml a developer keeps there must not leak in.
    monkeypatch.chdir(tmp_path)


def _write_settings_file(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "recall.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _refusal(environ: dict[str, str], **kwargs: object) -> tuple[str, str]:
    with pytest.raises(SettingsError) as raised:
        load_settings(environ, **kwargs)  # type: ignore[arg-type]
    return raised.value.source, raised.value.message


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


def test_the_build_leaves_unit_tests_to_development_and_passes_d_in_its_environment() -> None:
    settings = load_settings({}, as_of_date="2026-06-30")
    args = dbt_build_args(settings)

    # D changes from run to run: in --vars it would make dbt parse the whole project again.
    assert args == [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        '{"reporting_timezone": "UTC", "reporting_currency": "USD"}',
    ]
    assert dbt_build_env(settings) == {
        "RECALL_DBT_AS_OF_DATE": "2026-06-30",
        "RECALL_DBT_NEW_FACTS_LOADED_AFTER": "",
        "RECALL_DBT_NEW_FACTS_OCCURRED_FROM": "",
        "RECALL_DBT_STATES_FROM": "",
    }
    assert dbt_build_env(load_settings({}))["RECALL_DBT_AS_OF_DATE"] == ""


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


# --- recall.toml and the SPEC vars (SPEC §10)


def test_a_var_is_set_by_option_over_variable_over_file_over_default(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = _write_settings_file(home, "[vars]\nactive_days = 20\n")
    environ = {"RECALL_HOME": str(home), "RECALL_VAR_ACTIVE_DAYS": "25"}

    assert load_settings(environ, var_options=["active_days=28"]).var_overrides == {
        "active_days": 28
    }
    assert load_settings(environ).var_overrides == {"active_days": 25}
    del environ["RECALL_VAR_ACTIVE_DAYS"]
    assert load_settings(environ).var_overrides == {"active_days": 20}
    path.unlink()
    assert load_settings(environ).var_overrides == {}


def test_the_last_of_a_var_given_twice_on_the_command_line_wins() -> None:
    settings = load_settings({}, var_options=["new_days=10", " new_days = 14 "])

    assert settings.var_overrides == {"new_days": 14}


def test_the_gate_settings_take_their_var_from_any_source(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _write_settings_file(home, "[vars]\nmax_quarantine_share = 0.25\nmin_volume_ratio = 1\n")

    settings = load_settings(
        {"RECALL_HOME": str(home)}, var_options=["freshness_lag_days=0"], allow_shrink=True
    )

    assert (
        settings.max_quarantine_share,
        settings.min_volume_ratio,
        settings.freshness_lag_days,
        settings.allow_shrink,
    ) == (0.25, 1.0, 0, True)
    assert settings.var_overrides == {
        "max_quarantine_share": 0.25,
        "min_volume_ratio": 1.0,
        "freshness_lag_days": 0,
    }


def test_the_settings_file_sets_the_operator_settings_below_variables_and_options(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    _write_settings_file(
        home,
        'landing = "drop"\ntimezone = "Asia/Tokyo"\ncurrency = "jpy"\nas_of = 2026-10-31\n',
    )
    environ = {"RECALL_HOME": str(home)}

    from_file = load_settings(environ)
    assert (from_file.landing_dir, from_file.timezone, from_file.currency) == (
        home / "drop",  # relative to RECALL_HOME, where the file is
        "Asia/Tokyo",
        "JPY",
    )
    assert from_file.as_of_date == date(2026, 10, 31)

    environ |= {"RECALL_LANDING": "/srv/drop", "RECALL_TIMEZONE": "Europe/Berlin"}
    from_variables = load_settings(environ)
    assert (from_variables.landing_dir, from_variables.timezone) == (
        Path("/srv/drop"),
        "Europe/Berlin",
    )
    assert from_variables.currency == "JPY"

    from_options = load_settings(environ, landing_dir=Path("/mnt/files"), timezone="UTC")
    assert (from_options.landing_dir, from_options.timezone) == (Path("/mnt/files"), "UTC")


def test_the_settings_file_takes_an_absolute_landing_and_a_quoted_date(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _write_settings_file(home, 'landing = "/srv/drop"\nas_of = "2026-06-30"\n')

    settings = load_settings({"RECALL_HOME": str(home)})

    assert (settings.landing_dir, settings.as_of_date) == (Path("/srv/drop"), date(2026, 6, 30))


def test_a_bad_value_in_the_settings_file_names_its_key(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = _write_settings_file(home, 'timezone = "Mars/Olympus"\n')

    assert _refusal({"RECALL_HOME": str(home)}) == (
        f"{path} timezone",
        "unknown timezone 'Mars/Olympus': use an IANA name such as UTC or Europe/Berlin",
    )


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (
            'timzone = "UTC"\n',
            "timzone",
            "unknown key 'timzone': did you mean timezone? recall.toml takes landing, "
            "timezone, currency, as_of, memory_limit, threads, engine and a [vars] table",
        ),
        (
            "colour = 1\n",
            "colour",
            "unknown key 'colour': recall.toml takes landing, timezone, currency, as_of, "
            "memory_limit, threads, engine and a [vars] table",
        ),
        ("active_days = 45\n", "active_days", "active_days is a var: put it under [vars]"),
        ("vars = 3\n", "vars", "is not a table: write [vars] and name = value lines under it"),
        ("landing = 3\n", "landing", "3 is not text: write it in quotes"),
        ("memory_limit = 3\n", "memory_limit", "3 is not text: write it in quotes"),
        (
            'threads = "4"\n',
            "threads",
            "'4' is text: write a whole number without quotes, threads = 4",
        ),
        ("threads = 0\n", "threads", "0 is not a whole number >= 1"),
        ("threads = 2.0\n", "threads", "2.0 is not a whole number >= 1"),
        (
            'memory_limit = "3 gigs"\n',
            "memory_limit",
            "'3 gigs' is not a memory limit: write a number and a unit (KB, MB, GB, TB, KiB, "
            "MiB, GiB, TiB), such as 3GB or 2.5GiB",
        ),
        (
            "as_of = 2026-10-31T08:00:00\n",
            "as_of",
            "2026-10-31 08:00:00 has a time: write the date alone, as_of = 2026-10-31",
        ),
        (
            "[vars]\ntouch_window = 20\n",
            "[vars] touch_window",
            "unknown var 'touch_window': did you mean touch_window_days?",
        ),
        (
            '[vars]\nreporting_currency = "EUR"\n',
            "[vars] reporting_currency",
            "reporting_currency is not set as a var: use --currency or RECALL_CURRENCY "
            "(currency in recall.toml)",
        ),
        ("[vars]\nactive_days = 30.0\n", "[vars] active_days", "30.0 is not a whole number"),
        (
            "[vars]\nmax_quarantine_share = true\n",
            "[vars] max_quarantine_share",
            "true is not a number",
        ),
        (
            "[vars]\nmin_volume_ratio = -0.1\n",
            "[vars] min_volume_ratio",
            "-0.1 is not a share: use a number in [0, 1]",
        ),
        (
            "[vars]\nfreshness_lag_days = -3\n",
            "[vars] freshness_lag_days",
            "-3 is negative: use a number of days >= 0",
        ),
    ],
)
def test_a_bad_settings_file_entry_names_the_file_and_key(
    tmp_path: Path, text: str, key: str, message: str
) -> None:
    home = tmp_path / "home"
    path = _write_settings_file(home, text)

    assert _refusal({"RECALL_HOME": str(home)}) == (f"{path} {key}", message)


def test_a_settings_file_that_is_not_toml_is_refused_naming_the_file_and_line(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    path = _write_settings_file(home, "[vars]\nactive_days = 3 3\n")

    assert _refusal({"RECALL_HOME": str(home)}) == (
        f"{path} line 2",
        "not valid TOML: Expected newline or end of document after a statement (column 17)",
    )


@pytest.mark.parametrize(
    ("environ", "var_options", "source", "message"),
    [
        (
            {},
            ["activ_days=3"],
            "--var activ_days",
            "unknown var 'activ_days': did you mean active_days?",
        ),
        (
            {},
            ["colour=blue"],
            "--var colour",
            "unknown var 'colour': recall run --help lists the vars",
        ),
        (
            {"RECALL_VAR_DORMANT_DAYZ": "200"},
            [],
            "RECALL_VAR_DORMANT_DAYZ",
            "unknown var 'dormant_dayz': did you mean RECALL_VAR_DORMANT_DAYS?",
        ),
        (
            {},
            ["activ_days"],
            "--var activ_days",
            "is not NAME=VALUE: write it as, e.g., --var active_days=45",
        ),
        ({}, ["=45"], "--var =45", "is not NAME=VALUE: write it as, e.g., --var active_days=45"),
        (
            {},
            ["reporting_timezone=Europe/Berlin"],
            "--var reporting_timezone",
            "reporting_timezone is not set as a var: use --timezone or RECALL_TIMEZONE "
            "(timezone in recall.toml)",
        ),
        (
            {"RECALL_VAR_AS_OF_DATE": "2026-01-01"},
            [],
            "RECALL_VAR_AS_OF_DATE",
            "as_of_date is not set as a var: use --as-of or RECALL_AS_OF (as_of in recall.toml)",
        ),
        (
            {},
            ["active_days=0"],
            "--var active_days",
            "0 is not positive: use a whole number of days >= 1",
        ),
        (
            {},
            ["max_touches_30d=-2"],
            "--var max_touches_30d",
            "-2 is not positive: use a whole number >= 1",
        ),
        ({}, ["new_days=thirty"], "--var new_days", "'thirty' is not a whole number"),
        ({}, ["band_edge_2="], "--var band_edge_2", "'' is not a whole number"),
        (
            {"RECALL_VAR_EARLY_WARNING_GAP_MULTIPLIER": "0.8"},
            [],
            "RECALL_VAR_EARLY_WARNING_GAP_MULTIPLIER",
            "0.8 is below 1: use a number >= 1",
        ),
        (
            {},
            ["early_warning_gap_multiplier=inf"],
            "--var early_warning_gap_multiplier",
            "'inf' is not a number",
        ),
    ],
)
def test_a_bad_var_is_refused_naming_its_option_or_variable(
    environ: dict[str, str], var_options: list[str], source: str, message: str
) -> None:
    assert _refusal(environ, var_options=var_options) == (source, message)


def test_an_overridden_value_is_not_checked_but_a_misspelt_name_always_is() -> None:
    # Only the value that takes effect is checked, as for the other settings; a name that is
    # no var would be ignored whatever overrides it, so it is refused in every source.
    environ = {"RECALL_VAR_ACTIVE_DAYS": "soon"}
    assert load_settings(environ, var_options=["active_days=20"]).var_overrides == {
        "active_days": 20
    }

    environ = {"RECALL_VAR_ACTIVE_DAY": "20"}
    assert _refusal(environ, var_options=["active_days=20"]) == (
        "RECALL_VAR_ACTIVE_DAY",
        "unknown var 'active_day': did you mean RECALL_VAR_ACTIVE_DAYS?",
    )


def test_contradictory_thresholds_are_refused_naming_each_value_and_its_source() -> None:
    assert _refusal({}, var_options=["active_days=60"]) == (
        "--var active_days",
        "thresholds must satisfy active_days < at_risk_days < dormant_days, got active_days "
        "60 (--var active_days), at_risk_days 60 (default), dormant_days 180 (default): set "
        "them so that each is smaller than the next",
    )


def test_thresholds_are_checked_on_the_values_merged_from_every_source(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = _write_settings_file(home, "[vars]\nat_risk_days = 100\n")
    environ = {"RECALL_HOME": str(home), "RECALL_VAR_DORMANT_DAYS": "95"}

    assert _refusal(environ, var_options=["band_edge_1=97"]) == (
        f"{path} [vars] at_risk_days, RECALL_VAR_DORMANT_DAYS, --var band_edge_1",
        "thresholds must satisfy active_days < at_risk_days < dormant_days, got active_days "
        f"30 (default), at_risk_days 100 ({path} [vars] at_risk_days), dormant_days 95 "
        "(RECALL_VAR_DORMANT_DAYS); thresholds must satisfy at_risk_days < band_edge_1 < "
        f"dormant_days < band_edge_2, got at_risk_days 100 ({path} [vars] at_risk_days), "
        "band_edge_1 97 (--var band_edge_1), dormant_days 95 (RECALL_VAR_DORMANT_DAYS), "
        "band_edge_2 365 (default): set them so that each is smaller than the next",
    )

    # Moved together, each source holding a part, the same thresholds are in order.
    environ["RECALL_VAR_DORMANT_DAYS"] = "200"
    settings = load_settings(environ, var_options=["band_edge_1=150"])
    assert settings.var_overrides == {
        "at_risk_days": 100,
        "dormant_days": 200,
        "band_edge_1": 150,
    }


def test_dbt_gets_every_var_set_besides_the_reporting_settings() -> None:
    settings = load_settings(
        {"RECALL_VAR_MAX_TOUCHES_30D": "2"},
        var_options=["active_days=45", "early_warning_gap_multiplier=2"],
        as_of_date="2026-06-30",
    )
    expected = {
        "reporting_timezone": "UTC",
        "reporting_currency": "USD",
        "as_of_date": "2026-06-30",
        "max_touches_30d": 2,
        "active_days": 45,
        "early_warning_gap_multiplier": 2.0,
    }

    assert dbt_vars(settings) == expected
    del expected["as_of_date"]
    assert json.loads(dbt_build_args(settings)[4]) == expected


def test_a_landing_named_by_the_settings_file_is_no_quick_start(tmp_path: Path) -> None:
    assert is_quick_start({}, landing_given=False)

    _write_settings_file(tmp_path / DEFAULT_HOME, 'landing = "/srv/drop"\n')

    assert not is_quick_start({}, landing_given=False)


def test_every_var_of_dbt_project_but_the_operator_settings_has_a_rule() -> None:
    operator_settings = {"as_of_date", "reporting_timezone", "reporting_currency"}

    assert set(VARS) == set(PROJECT_VARS) - operator_settings


def test_the_python_rules_name_the_vars_and_chains_of_the_dbt_macro() -> None:
    # macros/validate_vars.sql still guards a dbt run started by hand; both must agree.
    macro = (PROJECT_DIR / "macros" / "validate_vars.sql").read_text(encoding="utf-8")
    int_vars = re.search(r"set int_vars = \[(.*?)\]", macro, re.DOTALL)
    chains = re.search(r"set chains = \[(.*?)\]\s*-%\}", macro, re.DOTALL)
    assert int_vars and chains

    positive_ints = {name for name, (rule, _) in VARS.items() if rule.kind is int and rule.low == 1}
    assert positive_ints == set(re.findall(r"'(\w+)'", int_vars.group(1)))
    dbt_chains = [
        tuple(re.findall(r"'(\w+)'", chain))
        for chain in re.findall(r"\[([^\[\]]*)\]", chains.group(1))
    ]
    assert list(VAR_CHAINS) == dbt_chains
    multiplier = VARS["early_warning_gap_multiplier"][0]
    assert (multiplier.kind, multiplier.low, multiplier.high) == (float, 1, None)
    assert "(multiplier | float) >= 1" in macro


def test_the_help_lists_every_var_with_its_default_and_how_to_set_it() -> None:
    lines = vars_help().splitlines()

    assert lines[0] == "SPEC vars and defaults (R: days since the last qualifying purchase):"
    assert lines[1] == "  active_days=30                    active: R <= this"
    assert [line.split()[0] for line in lines[1 : 1 + len(VARS)]] == [
        f"{name}={PROJECT_VARS[name]}" for name in VARS
    ]
    assert lines[1 + len(VARS)].startswith(
        "Set a var with --var NAME=VALUE (repeatable), RECALL_VAR_<NAME>, or"
    )
    assert lines[-2:] == [
        "defaults; recall.toml also takes landing, timezone, currency, as_of,",
        "memory_limit, threads and engine.",
    ]
    # Click indents the epilog by two: 78 characters keep it within 80 columns.
    assert max(map(len, lines)) <= 78
    assert "" not in lines  # one paragraph, kept as written after click's \b marker


# --- DuckDB's memory limit and threads


def test_duckdb_gets_3gb_and_a_thread_per_cpu_by_default() -> None:
    settings = load_settings({})

    threads = os.cpu_count() or 1
    assert (settings.memory_limit, settings.threads) == ("3GB", threads)
    assert settings.duckdb_config == {"memory_limit": "3GB", "threads": str(threads)}


def test_the_duckdb_settings_are_set_by_option_over_variable_over_file_over_default(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    path = _write_settings_file(home, 'memory_limit = "8GB"\nthreads = 6\n')
    environ = {"RECALL_HOME": str(home), "RECALL_MEMORY_LIMIT": "2.5GiB", "RECALL_THREADS": "3"}

    from_options = load_settings(environ, memory_limit="500 mb", threads="1")
    assert (from_options.memory_limit, from_options.threads) == ("500 mb", 1)
    assert load_settings(environ, memory_limit=None, threads=None).duckdb_config == {
        "memory_limit": "2.5GiB",
        "threads": "3",
    }
    del environ["RECALL_MEMORY_LIMIT"], environ["RECALL_THREADS"]
    assert load_settings(environ).duckdb_config == {"memory_limit": "8GB", "threads": "6"}
    path.unlink()
    from_defaults = load_settings(environ)
    assert (from_defaults.memory_limit, from_defaults.threads) == ("3GB", os.cpu_count() or 1)


@pytest.mark.parametrize(
    ("environ", "options", "source", "message"),
    [
        (
            {"RECALL_MEMORY_LIMIT": "3GBs"},
            {},
            "RECALL_MEMORY_LIMIT",
            "'3GBs' is not a memory limit: write a number and a unit (KB, MB, GB, TB, KiB, "
            "MiB, GiB, TiB), such as 3GB or 2.5GiB",
        ),
        (
            {},
            {"memory_limit": "3"},
            "--memory-limit",
            "'3' is not a memory limit: write a number and a unit (KB, MB, GB, TB, KiB, MiB, "
            "GiB, TiB), such as 3GB or 2.5GiB",
        ),
        (
            {},
            {"memory_limit": "95MiB"},
            "--memory-limit",
            "95MiB is below 100MB, the least memory limit accepted: use, e.g., 3GB",
        ),
        (
            {"RECALL_MEMORY_LIMIT": "0.09GB"},
            {},
            "RECALL_MEMORY_LIMIT",
            "0.09GB is below 100MB, the least memory limit accepted: use, e.g., 3GB",
        ),
        ({"RECALL_THREADS": "0"}, {}, "RECALL_THREADS", "0 is not a whole number >= 1"),
        ({}, {"threads": "two"}, "--threads", "'two' is not a whole number >= 1"),
        ({}, {"threads": "1.5"}, "--threads", "'1.5' is not a whole number >= 1"),
    ],
)
def test_a_bad_duckdb_setting_is_refused_naming_where_it_came_from(
    environ: dict[str, str], options: dict[str, str], source: str, message: str
) -> None:
    assert _refusal(environ, **options) == (source, message)


def test_the_engine_is_set_by_option_over_variable_over_file_over_default(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    path = _write_settings_file(home, 'engine = "spark"\n')
    environ = {"RECALL_HOME": str(home), "RECALL_ENGINE": "DuckDB"}

    assert load_settings(environ, engine="spark").engine == "spark"
    assert load_settings(environ).engine == "duckdb"
    del environ["RECALL_ENGINE"]
    assert load_settings(environ).engine == "spark"
    path.unlink()
    assert load_settings(environ).engine == "duckdb"


@pytest.mark.parametrize(
    ("environ", "options", "source"),
    [({"RECALL_ENGINE": "sparks"}, {}, "RECALL_ENGINE"), ({}, {"engine": "sparks"}, "--engine")],
)
def test_an_unknown_engine_is_refused_naming_where_it_came_from(
    environ: dict[str, str], options: dict[str, str], source: str
) -> None:
    assert _refusal(environ, **options) == (
        source,
        "unknown engine 'sparks': use duckdb or spark (default duckdb)",
    )


@pytest.mark.parametrize(
    ("limit", "mib"), [("3GB", 2861), ("2.5GiB", 2560), ("500 mb", 476), ("100MB", 95)]
)
def test_the_memory_limit_in_mib_sizes_sparks_heap(limit: str, mib: int) -> None:
    assert load_settings({"RECALL_MEMORY_LIMIT": limit}).memory_limit_mib == mib


def test_the_least_memory_limit_and_thread_count_are_accepted() -> None:
    settings = load_settings({"RECALL_MEMORY_LIMIT": "100MB", "RECALL_THREADS": "1"})

    assert settings.duckdb_config == {"memory_limit": "100MB", "threads": "1"}


@pytest.mark.parametrize(
    ("memory_limit", "threads", "shown"),
    [
        # As DuckDB prints them: in 1024^i units, to one decimal.
        ("3GB", "1", "2.7 GiB"),
        ("2.5GiB", "2", "2.5 GiB"),
        ("500 mb", "3", "476.8 MiB"),
    ],
)
def test_duckdb_takes_the_duckdb_config_as_it_is(
    memory_limit: str, threads: str, shown: str
) -> None:
    settings = load_settings({}, memory_limit=memory_limit, threads=threads)

    with duckdb.connect(config=settings.duckdb_config) as con:
        assert con.execute(
            "select current_setting('memory_limit'), current_setting('threads')"
        ).fetchone() == (shown, int(threads))


def test_dbt_takes_duckdb_settings_from_the_variables_the_dbt_asset_exports() -> None:
    profiles = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    dev = profiles["recall_warehouse"]["outputs"]["dev"]

    assert dev["settings"]["memory_limit"] == "{{ env_var('RECALL_MEMORY_LIMIT', '3GB') }}"
    assert dev["settings"]["threads"] == "{{ env_var('RECALL_THREADS', '2') }}"
    assert "RECALL_DBT_THREADS" in dev["threads"]  # dbt's own threads: models at once


@pytest.mark.parametrize(
    ("verb", "option", "message"),
    [
        (["run"], ["--threads", "0"], "Error: --threads: 0 is not a whole number >= 1"),
        (
            ["backfill", "--start", "2026-01-01", "--end", "2026-01-02"],
            ["--memory-limit", "50MB"],
            "Error: --memory-limit: 50MB is below 100MB",
        ),
        (["replace", "a.csv", "b.csv"], ["--threads", "two"], "Error: --threads: 'two' is not"),
    ],
)
def test_the_run_verbs_refuse_a_bad_duckdb_option_before_anything_runs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    verb: list[str],
    option: list[str],
    message: str,
) -> None:
    for name in ("RECALL_MEMORY_LIMIT", "RECALL_THREADS"):
        monkeypatch.delenv(name, raising=False)

    result = CliRunner().invoke(main, [*verb, "--landing", str(tmp_path), *option])

    assert result.exit_code == 2
    assert result.output.startswith(message)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("out_of_memory", [True, False])
def test_a_run_out_of_memory_tells_the_operator_how_to_give_duckdb_more(
    tmp_path: Path, out_of_memory: bool
) -> None:
    # Here, not at the top: the runner imports the suites, which read the dbt models.
    from orchestration.runner import RunOutcome

    error = (
        "Out of Memory Error: failed to allocate data of size 16.0 MiB (80.4 MiB/95.3 MiB used)"
        if out_of_memory
        else "Binder Error: column x not found"
    )
    outcome = RunOutcome(
        success=False,
        run_id="0123456789",
        settings=load_settings({"RECALL_HOME": str(tmp_path)}, memory_limit="100MB"),
        failures=[f"recall_dbt_models: Runtime Error in model stg_transactions\n  {error}"],
    )

    advice = (
        "DuckDB ran out of memory at memory_limit=100MB: raise it with --memory-limit or "
        "RECALL_MEMORY_LIMIT, or lower --threads"
    )
    assert (advice in outcome.format_failure().splitlines()) is out_of_memory


@pytest.mark.parametrize("engine", ["spark", "duckdb"])
def test_the_summary_says_where_spark_published_and_when_a_duckdb_run_left_it(
    tmp_path: Path, engine: str
) -> None:
    from orchestration.runner import RunOutcome

    settings = load_settings({"RECALL_HOME": str(tmp_path), "RECALL_ENGINE": engine})
    outcome = RunOutcome(success=True, run_id="0123456789", settings=settings)
    folder = tmp_path / "published" / "spark"
    built_on_spark = [
        f"Built on Spark; the same marts as Parquet, Spark's published schema: {folder}"
    ]
    assert outcome._spark_lines() == (built_on_spark if engine == "spark" else [])

    folder.mkdir(parents=True)
    assert outcome._spark_lines() == (
        built_on_spark
        if engine == "spark"
        else [
            f"Not updated by this run on DuckDB: {folder}, the marts of the last run on Spark "
            "(run with --engine spark to publish there again)."
        ]
    )
