-- One row per platform, account and event: registration -> attendance -> engagement.
-- Definitions (attendee, live, on demand, no-show, engaged): README.md and the docs.
with events as (
    select * from {{ ref('stg_webinars__events') }}
),

registrations as (
    select * from {{ ref('int_webinars__registrations') }}
),

people as (
    select
        platform,
        account_id,
        event_id,
        count(*) as registrants,
        sum({{ flag('is_attendee') }}) as attendees,
        sum({{ flag('is_live_attendee') }}) as live_attendees,
        sum({{ flag('is_on_demand_attendee') }}) as on_demand_attendees,
        sum({{ flag('is_no_show') }}) as no_shows,
        sum({{ flag('is_canceled') }}) as canceled,
        sum({{ flag('is_engaged') }}) as engaged_viewers,
        count(viewing_seconds) as viewers_with_minutes,
        avg(cast(viewing_seconds as {{ type_double() }})) / 60 as avg_viewing_minutes,
        {{ median('cast(viewing_seconds as ' ~ type_double() ~ ')') }} / 60
            as median_viewing_minutes,
        sum(coalesce(viewing_seconds, 0)) as total_viewing_seconds
    from registrations
    group by platform, account_id, event_id
),

answers as (
    select
        platform,
        account_id,
        event_id,
        sum({{ flag("kind = 'survey'") }}) as survey_responses,
        sum({{ flag("kind = 'poll'") }}) as poll_responses,
        sum({{ flag("kind = 'attendance'") }}) as attendance_check_responses
    from {{ ref('stg_webinars__survey_responses') }}
    group by platform, account_id, event_id
),

asked as (
    select platform, account_id, event_id, count(*) as questions_asked
    from {{ ref('stg_webinars__questions') }}
    group by platform, account_id, event_id
),

-- Audience activity: registrations, viewing, answers, questions.
activity_moments as (
    select platform, account_id, event_id, registered_at as moment_at
    from {{ ref('stg_webinars__registrants') }}
    union all
    select platform, account_id, event_id, first_viewed_at
    from {{ ref('stg_webinars__viewers') }}
    union all
    select platform, account_id, event_id, last_viewed_at
    from {{ ref('stg_webinars__viewers') }}
    union all
    select platform, account_id, event_id, submitted_at
    from {{ ref('stg_webinars__survey_responses') }}
    union all
    select platform, account_id, event_id, asked_at
    from {{ ref('stg_webinars__questions') }}
),

activity as (
    select
        platform,
        account_id,
        event_id,
        min(moment_at) as first_activity_at,
        max(moment_at) as last_activity_at
    from activity_moments
    group by platform, account_id, event_id
)

select
    e.platform,
    e.account_id,
    e.event_id,
    e.title,
    e.scheduled_start_at,
    coalesce(p.registrants, 0) as registrants,
    coalesce(p.attendees, 0) as attendees,
    coalesce(p.live_attendees, 0) as live_attendees,
    coalesce(p.on_demand_attendees, 0) as on_demand_attendees,
    coalesce(p.no_shows, 0) as no_shows,
    coalesce(p.canceled, 0) as canceled,
    {{ ratio('p.attendees', 'p.registrants') }} as attendance_rate,
    {{ ratio('p.no_shows', 'p.registrants') }} as no_show_rate,
    p.avg_viewing_minutes,
    p.median_viewing_minutes,
    coalesce(p.total_viewing_seconds, 0) as total_viewing_seconds,
    coalesce(p.engaged_viewers, 0) as engaged_viewers,
    {{ ratio('p.engaged_viewers', 'p.attendees') }} as engagement_rate,
    coalesce(a.survey_responses, 0) as survey_responses,
    coalesce(a.poll_responses, 0) as poll_responses,
    coalesce(a.attendance_check_responses, 0) as attendance_check_responses,
    coalesce(q.questions_asked, 0) as questions_asked,
    act.first_activity_at,
    act.last_activity_at
from events as e
left join people as p
    on e.platform = p.platform and e.account_id = p.account_id and e.event_id = p.event_id
left join answers as a
    on e.platform = a.platform and e.account_id = a.account_id and e.event_id = a.event_id
left join asked as q
    on e.platform = q.platform and e.account_id = q.account_id and e.event_id = q.event_id
left join activity as act
    on e.platform = act.platform and e.account_id = act.account_id and e.event_id = act.event_id
