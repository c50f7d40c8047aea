{#
    Score 1-5 of a value among the rows of a partition (SPEC §5.2):

        score = 1 + floor(5 × (rows with a strictly smaller value) / (rows))

    rank() - 1 counts the rows with a strictly smaller value, so ties share a score (unlike
    ntile, which splits ties across buckets). Rows with a null value must be in a partition
    of their own (pass a partition column that separates them). The division is in floating
    point in every engine; it cannot misplace a bucket edge, since a non-integer quotient is
    at least 1 / rows away from the next integer.
#}
{% macro rank_score(value, partition_by) -%}
    {%- set score_levels = 5 -%}
    cast(
        1 + floor(
            {{ score_levels }}
            * (rank() over (partition by {{ partition_by | join(', ') }} order by {{ value }}) - 1)
            / count(*) over (partition by {{ partition_by | join(', ') }})
        )
        as {{ dbt.type_int() }}
    )
{%- endmacro %}
