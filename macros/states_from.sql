{#
    The filter of an incremental model of customer state by evaluation date: the dates on or
    after the earliest date the new data can change (var lifecycle_states_from; a nightly
    build sets it, in the environment variable of orchestration/transform/command.py, from
    orchestration/transform/build_state.py). That is the last build's D at the latest: D
    moves, and the facts dated after the last D arrive now. The states of every earlier date
    stand as the last build left them. A full build (or a dbt run without the var) keeps
    every date.
#}
{% macro states_from(evaluation_date) -%}
    {%- set states_from = var('lifecycle_states_from', env_var('RECALL_DBT_STATES_FROM', '')) -%}
    {#- The var first: a unit test sets none, and has no relation to ask is_incremental(). -#}
    {%- if states_from and is_incremental() -%}
        {{ evaluation_date }} >= cast('{{ states_from }}' as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
