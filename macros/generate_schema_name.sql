{#
    Custom schema names are used as they are (staging, intermediate, marts, reference), not
    prefixed with the target schema, so BI and the publish step see stable names. Nodes
    without a custom schema land in the target schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
