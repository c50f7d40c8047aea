{#
    Day windows (SPEC §4): "the N days up to and including X" are the dates X − (N − 1) .. X,
    and "within the last N days" of D likewise. Written once here, in the two forms the models
    need.

    is_in_day_window(date, window_end, days): the condition that the date `date` is one of the
    `days` days up to and including `window_end`.

    day_window_frame(days): the same window as the frame of a window function ordered by
    day_number(date): the rows dated within the `days` days up to and including the current
    row's date.
#}
{% macro is_in_day_window(date, window_end, days) -%}
    {{ dbt.datediff(date, window_end, 'day') }} between 0 and {{ (days | int) - 1 }}
{%- endmacro %}

{% macro day_window_frame(days) -%}
    range between {{ (days | int) - 1 }} preceding and current row
{%- endmacro %}
