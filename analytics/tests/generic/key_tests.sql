{#- Composite-key tests (the tap's keys are [platform, account_id, event_id, <id>]); no
    package dependency such as dbt_utils is needed. -#}

{% test unique_key(model, columns) %}
select {{ columns | join(', ') }}, count(*) as duplicates
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{#- Every row of model whose key (columns) has a parent in `to`. Rows whose last key
    column is null (a session no registrant could be found for) are not checked. -#}
{% test relationships_by_key(model, to, columns) %}
select child.*
from {{ model }} as child
left join {{ to }} as parent
    on {% for column in columns %}child.{{ column }} = parent.{{ column }}{% if not loop.last %} and {% endif %}{% endfor %}
where child.{{ columns[-1] }} is not null
  and parent.{{ columns[-1] }} is null
{% endtest %}
