{#
    The filter of an incremental fact model. A nightly build sets two vars from what the last
    build recorded (orchestration/transform/build_state.py), in the environment variables of
    orchestration/transform/command.py:

    - new_facts_loaded_after: the newest loaded_at the last build had, so every row loaded
      since is taken;
    - new_facts_occurred_from: the start, in UTC, of the local day after the last build's D,
      less an hour (build_state.facts_left_out_from), so every row the last build left out as
      dated after its D is taken too.

    Rows taken again (dated in that last hour) replace themselves through the model's unique
    key. Both compare raw columns, so the filter runs before any conversion. Whatever else can
    change a fact held already (vars, timezone, currency, rates, code, a replaced file, an
    earlier D) makes the run a full rebuild, and a full build (or a dbt run without the vars)
    filters nothing.
#}
{% macro new_facts(loaded_at='loaded_at', occurred_at='occurred_at', in_model=true) -%}
    {%- set loaded_after = run_var('new_facts_loaded_after', 'RECALL_DBT_NEW_FACTS_LOADED_AFTER') -%}
    {%- set occurred_from = run_var('new_facts_occurred_from', 'RECALL_DBT_NEW_FACTS_OCCURRED_FROM') -%}
    {#- The vars first: a unit test sets neither, and has no relation to ask is_incremental().
        A data test of the model (in_model false, macro rewritten_rows) has none either. -#}
    {%- if loaded_after and occurred_from and (not in_model or is_incremental()) -%}
        ({{ loaded_at }} > cast('{{ loaded_after }}' as {{ dbt.type_timestamp() }})
        or {{ occurred_at }} >= cast('{{ occurred_from }}' as {{ dbt.type_timestamp() }}))
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#
    The customers a nightly build works out again in a model that keeps each customer's rows
    together and depends only on the customer's own transactions: a filter on customer_column,
    true for the customers with a new transaction in transactions (a model with the new_facts
    columns), or for every customer on a full build.
#}
{% macro has_new_facts(customer_column, transactions) -%}
    {%- set new = new_facts() | trim -%}
    {%- if new == 'true' -%}
        true
    {%- else -%}
        {{ customer_column }} in (select customer_id from {{ transactions }} where {{ new }})
    {%- endif -%}
{%- endmacro %}
