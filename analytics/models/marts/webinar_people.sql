-- One row per person (normalised email) across every platform and account.
-- Registrations without an email (ON24's forgotten users) are left out.
with registrations as (
    select * from {{ ref('int_webinars__registrations') }}
    where email is not null
),

-- One person can hold two registrations for one event: count the event once.
per_event as (
    select
        email,
        platform,
        account_id,
        event_id,
        max({{ flag('is_attendee') }}) as attended,
        sum(coalesce(viewing_seconds, 0)) as viewing_seconds
    from registrations
    group by email, platform, account_id, event_id
),

totals as (
    select
        email,
        count(*) as events_registered,
        sum(attended) as events_attended,
        sum(viewing_seconds) as total_viewing_seconds
    from per_event
    group by email
),

moments as (
    select email, registered_at as moment_at from registrations
    union all
    select email, first_viewed_at from registrations
    union all
    select email, last_viewed_at from registrations
    union all
    select email, first_interaction_at from registrations
    union all
    select email, last_interaction_at from registrations
),

seen as (
    select email, min(moment_at) as first_seen_at, max(moment_at) as last_seen_at
    from moments
    group by email
),

-- The latest registration that names a company (a job title): what the person said last.
companies as (
    select
        email,
        company,
        row_number() over (
            partition by email
            order by registered_at desc nulls last, updated_at desc nulls last,
                platform, account_id, event_id, registrant_id
        ) as recency
    from registrations
    where company is not null
),

job_titles as (
    select
        email,
        job_title,
        row_number() over (
            partition by email
            order by registered_at desc nulls last, updated_at desc nulls last,
                platform, account_id, event_id, registrant_id
        ) as recency
    from registrations
    where job_title is not null
),

platforms as (
    select
        email,
        count(*) as platform_count,
        {{ dbt.listagg('platform', "', '", 'order by platform') }} as platforms
    from (select distinct email, platform from registrations) as distinct_platforms
    group by email
)

select
    t.email,
    t.events_registered,
    t.events_attended,
    cast(t.total_viewing_seconds as {{ type_double() }}) / 60 as total_viewing_minutes,
    s.first_seen_at,
    s.last_seen_at,
    c.company as latest_company,
    j.job_title as latest_job_title,
    p.platforms,
    p.platform_count
from totals as t
left join seen as s on t.email = s.email
left join companies as c on t.email = c.email and c.recency = 1
left join job_titles as j on t.email = j.email and j.recency = 1
left join platforms as p on t.email = p.email
