-- One row per scheduled or viewing session of a registrant, typed and trimmed.
select
    {{ key_text('platform') }} as platform,
    {{ key_text('account_id') }} as account_id,
    {{ key_text('event_id') }} as event_id,
    {{ key_text('session_id') }} as session_id,
    {{ key_text('registrant_id') }} as registrant_id,
    {{ clean_email('email') }} as email,
    lower({{ clean_text('session_type') }}) as session_type,
    {{ clean_text('webinar_session_id') }} as webinar_session_id,
    {{ to_instant('scheduled_at') }} as scheduled_at,
    {{ to_instant('started_at') }} as started_at,
    {{ to_instant('ended_at') }} as ended_at,
    cast(duration_seconds as {{ dbt.type_bigint() }}) as duration_seconds,
    cast(attended as {{ dbt.type_boolean() }}) as attended,
    cast(watched as {{ dbt.type_boolean() }}) as watched,
    {{ clean_text('device') }} as device,
    {{ clean_text('os') }} as os,
    {{ clean_text('browser') }} as browser,
    {{ clean_text('media') }} as media,
    {{ clean_text('country') }} as country,
    {{ clean_text('city') }} as city,
    {{ clean_text('time_zone') }} as time_zone
from {{ source('tap_webinars', 'registrant_sessions') }}
