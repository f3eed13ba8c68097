-- One row per Q&A question asked by a viewer, with the presenter's answer.
select
    {{ key_text('platform') }} as platform,
    {{ key_text('account_id') }} as account_id,
    {{ key_text('event_id') }} as event_id,
    {{ key_text('question_id') }} as question_id,
    {{ key_text('registrant_id') }} as registrant_id,
    {{ clean_email('email') }} as email,
    {{ to_instant('asked_at') }} as asked_at,
    {{ clean_text('question') }} as question,
    {{ clean_text('answer') }} as answer,
    {{ to_instant('answered_at') }} as answered_at
from {{ source('tap_webinars', 'questions') }}
