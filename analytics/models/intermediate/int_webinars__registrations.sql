-- One row per registration (registrants row) with what the person did at that event:
-- the flags the funnel counts and the people model adds up. Definitions: README.md.
with registrants as (
    select * from {{ ref('stg_webinars__registrants') }}
),

viewers as (
    select * from {{ ref('stg_webinars__viewers') }}
),

-- Interactions that make a viewer engaged: questions asked, survey and poll answers
-- (not attendance-check answers, which only prove presence).
interactions as (
    select platform, account_id, event_id, registrant_id, asked_at as interacted_at
    from {{ ref('stg_webinars__questions') }}
    where registrant_id is not null
    union all
    select platform, account_id, event_id, registrant_id, submitted_at as interacted_at
    from {{ ref('stg_webinars__survey_responses') }}
    where registrant_id is not null
      and kind in ('survey', 'poll')
),

interacted as (
    select
        platform,
        account_id,
        event_id,
        registrant_id,
        count(*) as interaction_count,
        min(interacted_at) as first_interaction_at,
        max(interacted_at) as last_interaction_at
    from interactions
    group by platform, account_id, event_id, registrant_id
),

joined as (
    select
        r.platform,
        r.account_id,
        r.event_id,
        r.registrant_id,
        r.email,
        r.company,
        r.job_title,
        r.status,
        r.registered_at,
        r.updated_at,
        v.first_viewed_at,
        v.last_viewed_at,
        v.live_seconds,
        v.on_demand_seconds,
        v.simlive_seconds,
        v.total_seconds as viewing_seconds,
        v.engagement_score,
        coalesce(i.interaction_count, 0) as interaction_count,
        i.first_interaction_at,
        i.last_interaction_at,
        (coalesce(r.attended, false) or v.registrant_id is not null) as is_attendee,
        (v.registrant_id is not null
            and (coalesce(v.live_seconds, 0) > 0 or coalesce(v.simlive_seconds, 0) > 0))
            as is_live_attendee,
        (v.registrant_id is not null and coalesce(v.on_demand_seconds, 0) > 0)
            as is_on_demand_attendee,
        coalesce(r.status, '') in ('canceled', 'declined') as is_canceled
    from registrants as r
    left join viewers as v
        on r.platform = v.platform
        and r.account_id = v.account_id
        and r.event_id = v.event_id
        and r.registrant_id = v.registrant_id
    left join interacted as i
        on r.platform = i.platform
        and r.account_id = i.account_id
        and r.event_id = i.event_id
        and r.registrant_id = i.registrant_id
)

select
    joined.*,
    (not is_attendee and not is_canceled) as is_no_show,
    (is_attendee
        and (interaction_count > 0
            or coalesce(engagement_score, 0) > {{ var('engagement_score_threshold', 5) }}))
        as is_engaged
from joined
