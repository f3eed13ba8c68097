-- One row per answer to one survey, poll or attendance-check question. The `answers`
-- array (JSON) stays in the source; `answer` holds the answer as the platform sent it.
select
    {{ key_text('platform') }} as platform,
    {{ key_text('account_id') }} as account_id,
    {{ key_text('event_id') }} as event_id,
    {{ key_text('response_id') }} as response_id,
    {{ key_text('registrant_id') }} as registrant_id,
    {{ clean_email('email') }} as email,
    lower({{ clean_text('kind') }}) as kind,
    {{ clean_text('survey_id') }} as survey_id,
    {{ clean_text('survey_name') }} as survey_name,
    {{ clean_text('survey_type') }} as survey_type,
    {{ clean_text('question_id') }} as question_id,
    {{ clean_text('question') }} as question,
    {{ clean_text('question_type') }} as question_type,
    {{ clean_text('answer') }} as answer,
    {{ to_instant('submitted_at') }} as submitted_at
from {{ source('tap_webinars', 'survey_responses') }}
