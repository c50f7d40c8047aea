{#
    The combination of `columns` identifies a row (a compound key). Written here because the
    project cannot install dbt packages (dbt_utils.unique_combination_of_columns).
#}
{% test unique_combination(model, columns) %}

with duplicated_keys as (

    select
        {{ columns | join(',\n        ') }},
        count(*) as row_count
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1

)

select * from duplicated_keys

{% endtest %}
