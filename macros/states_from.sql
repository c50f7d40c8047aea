{#
    Where a nightly build evaluates customer state again: the earliest date the new data can
    change (var lifecycle_states_from; a nightly build sets it, in the environment variable of
    orchestration/transform/command.py, from orchestration/transform/build_state.py). That is
    the last build's D at the latest: D moves, and the facts dated after the last D arrive
    now. The states of every earlier date stand as the last build left them.

    lifecycle_states_from() is that date, or none for a full build (or a dbt run without the
    var): then every date is evaluated. states_from(column) is the filter on a date column.
#}
{% macro lifecycle_states_from(in_model=true) -%}
    {%- set states_from = run_var('lifecycle_states_from', 'RECALL_DBT_STATES_FROM') -%}
    {#- The var first: a unit test sets none, and has no relation to ask is_incremental().
        A data test of the model (in_model false, macro rewritten_rows) has none either. -#}
    {{- return(states_from if states_from and (not in_model or is_incremental()) else none) -}}
{%- endmacro %}

{% macro states_from(evaluation_date, in_model=true) -%}
    {%- set states_from = lifecycle_states_from(in_model) -%}
    {%- if states_from -%}
        {{ evaluation_date }} >= cast('{{ states_from }}' as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
