-- Every registrant is an attendee, a no-show or canceled; live, on-demand and engaged
-- viewers are attendees.
select *
from {{ ref('webinar_event_funnel') }}
where registrants != attendees + no_shows + canceled
   or live_attendees > attendees
   or on_demand_attendees > attendees
   or engaged_viewers > attendees
