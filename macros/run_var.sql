{#
    A value that changes from run to run (D, where a nightly build's new facts and states
    start): var(name) when a dbt run by hand or a unit test gives it, else the environment
    variable env_name the recall run sets (orchestration/transform/command.py, RUN_ENV), so
    that a new value makes dbt parse again only the files that read it. None when neither is
    set.
#}
{% macro run_var(name, env_name) -%}
    {%- set from_env = env_var(env_name, '') -%}
    {%- set given = var(name, none) -%}
    {%- if given is none or (given | string | trim) in ('', 'none', 'None', 'null') -%}
        {%- set given = from_env -%}
    {%- endif -%}
    {{- return((given | string | trim) or none) -}}
{%- endmacro %}
