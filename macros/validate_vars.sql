{#
    Run at on-run-start: fail before anything is built when the configuration contradicts
    the SPEC, naming the vars and their values.

      active_days < at_risk_days < dormant_days                       (SPEC §5.1)
      at_risk_days < band_edge_1 < dormant_days < band_edge_2         (SPEC §5.3)
      every day count and cap a positive integer; early_warning_gap_multiplier >= 1.

    recall run checks the same rules first, in orchestration/settings.py (a test pins that both
    name the same vars and chains), so an operator never gets this far; this macro guards a
    dbt run started by hand. The operator settings reporting_timezone, reporting_currency and
    as_of_date are checked by the Python settings layer only (int_as_of_date holds the rule
    for an unset as_of_date).
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

    {%- if errors -%}
        {{ exceptions.raise_compiler_error(
            "Invalid dbt vars, nothing was built:\n  - " ~ (errors | join("\n  - "))
        ) }}
    {%- endif -%}
    select 1 as vars_are_valid
{%- endmacro %}
