{#
    Naive UTC timestamp -> naive wall-clock timestamp in var('reporting_timezone').

    Every local date in the project is cast(to_reporting_tz(x) as date): both zones are named
    explicitly, so the result never depends on the engine's session time zone.
#}
{% macro to_reporting_tz(ts) -%}
    {#- In UTC the wall clock is the UTC timestamp itself: no zone lookup per row (6 s of the
        20M transactions at 1M customers). -#}
    {%- if var('reporting_timezone') == 'UTC' -%}
        {{ return(ts) }}
    {%- endif -%}
    {{ return(adapter.dispatch('to_reporting_tz', 'recall_warehouse')(ts)) }}
{%- endmacro %}

{% macro duckdb__to_reporting_tz(ts) -%}
    {#- timezone('UTC', naive) reads the value as UTC (-> timestamptz); timezone(zone, tz)
        renders that instant as a naive wall-clock timestamp in zone. -#}
    timezone('{{ var("reporting_timezone") }}', timezone('UTC', {{ ts }}))
{%- endmacro %}

{% macro spark__to_reporting_tz(ts) -%}
    from_utc_timestamp({{ ts }}, '{{ var("reporting_timezone") }}')
{%- endmacro %}
