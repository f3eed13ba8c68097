-- Long form: one row per answer (survey_responses row) with its question and survey labels,
-- the event it belongs to and who answered.
with answers as (
    select * from {{ ref('stg_webinars__survey_responses') }}
),

events as (
    select platform, account_id, event_id, title from {{ ref('stg_webinars__events') }}
),

registrants as (
    select
        platform, account_id, event_id, registrant_id, email, first_name, last_name, company
    from {{ ref('stg_webinars__registrants') }}
)

select
    a.platform,
    a.account_id,
    a.event_id,
    a.response_id,
    e.title as event_title,
    a.registrant_id,
    coalesce(a.email, r.email) as email,
    r.first_name,
    r.last_name,
    r.company,
    a.kind,
    a.survey_id,
    coalesce(a.survey_name, a.survey_id,
        case when a.kind = 'poll' then 'Polls' else 'Survey' end) as survey_label,
    a.survey_type,
    a.question_id,
    coalesce(a.question, a.question_id) as question_label,
    a.question_type,
    a.answer,
    a.submitted_at
from answers as a
left join events as e
    on a.platform = e.platform and a.account_id = e.account_id and a.event_id = e.event_id
left join registrants as r
    on a.platform = r.platform
    and a.account_id = r.account_id
    and a.event_id = r.event_id
    and a.registrant_id = r.registrant_id
