{#
    Run at on-run-start: fail before anything is built when the configuration contradicts
    the SPEC, naming the vars and their values.

      active_days < at_risk_days < dormant_days                       (SPEC §5.1)
      at_risk_days < band_edge_1 < dormant_days < band_edge_2         (SPEC §5.3)
      every day count and cap a positive integer; early_warning_gap_multiplier >= 1;
      as_of_date empty or YYYY-MM-DD;
      reporting_timezone a known IANA zone; reporting_currency a 3-letter code.
#}
{% macro validate_vars() -%}
    {%- set errors = [] -%}
    {%- set values = {} -%}
    {%- set int_vars = [
        'active_days', 'at_risk_days', 'dormant_days', 'new_days', 'band_edge_1', 'band_edge_2',
        'max_touches_30d', 'min_days_between_touches', 'attribution_window_days',
        'value_window_days', 'touch_window_days',
    ] -%}
    {%- for name in int_vars -%}
        {%- set raw = var(name) -%}
        {%- set text = raw | string | trim -%}
        {%- if text.isdigit() and (text | int) > 0 -%}
            {%- do values.update({name: text | int}) -%}
        {%- else -%}
            {%- do errors.append(name ~ " must be a positive whole number of days (got '" ~ raw ~ "')") -%}
        {%- endif -%}
    {%- endfor -%}

    {%- set chains = [
        ['active_days', 'at_risk_days', 'dormant_days'],
        ['at_risk_days', 'band_edge_1', 'dormant_days', 'band_edge_2'],
    ] -%}
    {%- for chain in chains -%}
        {%- set known = [] -%}
        {%- for name in chain if name in values -%}{%- do known.append(name) -%}{%- endfor -%}
        {%- if known | length == chain | length -%}
            {%- set ordered = namespace(ok=true) -%}
            {%- for i in range(chain | length - 1) -%}
                {%- if values[chain[i]] >= values[chain[i + 1]] -%}
                    {%- set ordered.ok = false -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if not ordered.ok -%}
                {%- set shown = [] -%}
                {%- for name in chain -%}
                    {%- do shown.append(name ~ " (" ~ values[name] ~ ")") -%}
                {%- endfor -%}
                {%- do errors.append("thresholds must satisfy " ~ (shown | join(" < "))) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}

    {%- set multiplier = var('early_warning_gap_multiplier') | string | trim -%}
    {%- set multiplier_parts = multiplier.split('.') -%}
    {%- if not (multiplier_parts | length <= 2 and (multiplier_parts | join('')).isdigit()
        and (multiplier | float) >= 1) -%}
        {%- do errors.append("early_warning_gap_multiplier must be a number of at least 1 (got '" ~ multiplier ~ "')") -%}
    {%- endif -%}

    {%- set as_of = var('as_of_date', none) -%}
    {%- if as_of is not none and (as_of | string | trim) not in ('', 'none', 'None', 'null') -%}
        {%- set as_of_text = as_of | string | trim -%}
        {%- set parts = as_of_text.split('-') -%}
        {%- set valid = namespace(ok=false) -%}
        {%- if as_of_text | length == 10 and parts | length == 3
            and parts[0] | length == 4 and parts[0].isdigit()
            and parts[1].isdigit() and parts[2].isdigit() -%}
            {%- set valid.ok = 1 <= (parts[1] | int) <= 12 and 1 <= (parts[2] | int) <= 31 -%}
        {%- endif -%}
        {%- if not valid.ok -%}
            {%- do errors.append("as_of_date must be a date YYYY-MM-DD (got '" ~ as_of ~ "')") -%}
        {%- endif -%}
    {%- endif -%}

    {%- set tz = var('reporting_timezone') | string -%}
    {%- if tz not in modules.pytz.all_timezones_set -%}
        {%- do errors.append("reporting_timezone must be an IANA time zone name such as UTC or Europe/Berlin (got '" ~ tz ~ "')") -%}
    {%- endif -%}

    {%- set currency = var('reporting_currency') | string -%}
    {%- if not (currency | length == 3 and currency.isalpha() and currency.isupper()) -%}
        {%- do errors.append("reporting_currency must be a 3-letter upper-case ISO code (got '" ~ currency ~ "')") -%}
    {%- endif -%}

    {%- if errors -%}
        {{ exceptions.raise_compiler_error(
            "Invalid dbt vars, nothing was built:\n  - " ~ (errors | join("\n  - "))
        ) }}
    {%- endif -%}
    select 1 as vars_are_valid
{%- endmacro %}
