-- One row per registrant who viewed an event, with viewing and engagement totals.
select
    {{ key_text('platform') }} as platform,
    {{ key_text('account_id') }} as account_id,
    {{ key_text('event_id') }} as event_id,
    {{ key_text('registrant_id') }} as registrant_id,
    {{ clean_email('email') }} as email,
    {{ to_instant('first_viewed_at') }} as first_viewed_at,
    {{ to_instant('last_viewed_at') }} as last_viewed_at,
    cast(live_seconds as {{ dbt.type_bigint() }}) as live_seconds,
    cast(on_demand_seconds as {{ dbt.type_bigint() }}) as on_demand_seconds,
    cast(simlive_seconds as {{ dbt.type_bigint() }}) as simlive_seconds,
    cast(total_seconds as {{ dbt.type_bigint() }}) as total_seconds,
    cast(live_session_count as {{ dbt.type_bigint() }}) as live_session_count,
    cast(on_demand_session_count as {{ dbt.type_bigint() }}) as on_demand_session_count,
    cast(simlive_session_count as {{ dbt.type_bigint() }}) as simlive_session_count,
    cast(engagement_score as {{ type_double() }}) as engagement_score,
    cast(question_count as {{ dbt.type_bigint() }}) as question_count,
    cast(poll_response_count as {{ dbt.type_bigint() }}) as poll_response_count,
    cast(survey_response_count as {{ dbt.type_bigint() }}) as survey_response_count,
    cast(resource_view_count as {{ dbt.type_bigint() }}) as resource_view_count,
    {{ to_instant('updated_at') }} as updated_at
from {{ source('tap_webinars', 'viewers') }}
