{#
    The rows a data test reads. A nightly build rewrites only part of an incremental model,
    and the rows it leaves stand passed the same tests when they were written, so a generic
    test of such a model reads only the rows this build rewrote. The model says which they
    are in meta.rewritten_rows:

    - states_from: COLUMN, for a model that replaces whole dates (macro states_from);
    - new_facts: true, for a fact model that replaces rows by key (macro new_facts);
    - new_facts_of: MODEL and key: COLUMN, for a view of such a model without its load time:
      the rows whose key MODEL took as new.

    A relationships test still reads every row (its parent may have lost a key older rows
    use), and a test's own where config still applies. On a full build (or a dbt run
    without the vars) every row is read.

    get_where_subquery is dbt's own macro for a test's where config, overridden here.
#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [config.get('where'), rewritten_rows()] | select | list -%}
    {%- if conditions -%}
        {{- return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -}}
    {%- endif -%}
    {{- return(relation) -}}
{%- endmacro %}

{% macro rewritten_rows() -%}
    {#- In a test's context, model is the test node. -#}
    {%- if not execute or model.get('test_metadata', {}).get('name') == 'relationships' -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.get('attached_node')) -%}
    {%- set scope = tested.config.meta.get('rewritten_rows') if tested else none -%}
    {%- if not scope -%}
        {{- return(none) -}}
    {%- elif scope.states_from -%}
        {%- set condition = states_from(scope.states_from, in_model=false) | trim -%}
    {%- else -%}
        {%- set condition = new_facts(in_model=false) | trim -%}
        {%- if scope.new_facts_of and condition != 'true' -%}
            {%- set facts = graph.nodes.values() | selectattr('name', 'equalto', scope.new_facts_of) | first -%}
            {%- set condition = scope.key ~ ' in (select ' ~ scope.key ~ ' from '
                ~ facts.relation_name ~ ' where ' ~ condition ~ ')' -%}
        {%- endif -%}
    {%- endif -%}
    {{- return(none if condition == 'true' else condition) -}}
{%- endmacro %}
