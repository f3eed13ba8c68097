# ruff: noqa: E501 - the guide's sample is kept verbatim, long lines included
"""The Webcasts guide's own Audience Details sample, kept verbatim apart from one broken line.

Source: webcasts-reporting-api.txt, "XML Return on Successful Request". The guide prints
Alexandra Graystone's email as `<ra id="email"agraystone@companyx.com</ra>`, which is not
well-formed XML; `SAMPLE_REPORT_XML` closes the tag. `BROKEN_EMAIL_LINE` keeps the original so
a test can serve the broken form and check that the tap fails loudly on it.

The sample mixes time zones: its header says Eastern Standard Time and its event times are
Eastern (live 03:04:01 PM to 03:08:07 PM), while its viewer times are GMT (Alice's live session
runs 08:04:01 PM to 08:08:07 PM, the same 246 seconds). The simulator reads the event times in
`SAMPLE_EVENT_TIME_ZONE` and the viewer times in `SAMPLE_VIEWER_TIME_ZONE`, stores both in UTC
and renders every time in the zone a request asks for.
"""

from __future__ import annotations

SAMPLE_EVENT_ID = "123456"
SAMPLE_EVENT_TIME_ZONE = "America/New_York"
SAMPLE_VIEWER_TIME_ZONE = "GMT"

BROKEN_EMAIL_LINE = '<ra id="email"agraystone@companyx.com</ra>'
FIXED_EMAIL_LINE = '<ra id="email">agraystone@companyx.com</ra>'

SAMPLE_REPORT_XML = """\
<convey_api version="2.0">
<currentTimeZone>Eastern Standard Time</currentTimeZone>
<currentDateTime>12/20/2014 03:30:13 PM</currentDateTime>
<result>
<returnCode>
1</returnCode>
<report_type>Audience Details Report</report_type>
<report_date_range/>
<filters>
<sti_filter/>
<email_domain_exclude_filter/>
<email_domain_include_filter/>
<qa_data_filter>off</qa_data_filter>
<survey_data_filter>off</survey_data_filter>
<no_show_filter>off</no_show_filter>
<live_viewers_filter>off</live_viewers_filter>
<od_viewers_filter>off</od_viewers_filter>
<simlive_viewers_filter>off</simlive_viewers_filter>
</filters>
<report_data>
<eventid>123456</eventid>
<eventtitle>API Report Sample</eventtitle>
<costcenter>Marketing</costcenter>
<event_create_time>11/04/2014 02:39:43 PM</event_create_time>
<live_start_time>11/04/2014 03:04:01 PM</live_start_time>
<live_end_time>11/04/2014 03:08:07 PM</live_end_time>
<od_first_published_time>11/04/2014 03:08:00 PM</od_first_published_time>
<od_expiration_time>05/04/2015 03:03:40 PM</od_expiration_time>
<event_analytics>
<total_sessions>5</total_sessions>
<total_registrants>6</total_registrants>
<no_shows>2</no_shows>
<total_conversion_rate>66.7%</total_conversion_rate>
<live_sessions>1</live_sessions>
<unique_live_viewers>1</unique_live_viewers>
<live_registrants>2</live_registrants>
<live_conversion_rate>50%</live_conversion_rate>
<od_sessions>3</od_sessions>
<unique_od_viewers>2</unique_od_viewers>
<simlive_sessions>1</simlive_sessions>
<unique_simlive_viewers>1</unique_simlive_viewers>
</event_analytics>
<registration_questions>
<rq id="firstname">First Name</rq>
<rq id="lastname">Last Name</rq>
<rq id="company">Company</rq>
<rq id="email">Email</rq>
<rq id="title">Title</rq>
<rq id="country">Country</rq>
<rq id="address1">Address 1</rq>
<rq id="address2">Address 2</rq>
<rq id="city">City</rq>
<rq id="state">State/Province/Region</rq>
<rq id="postalcode">Postal Code</rq>
<rq id="phone">Phone Number</rq>
<rq id="mobile">Mobile Number</rq>
<rq id="fax">Fax Number</rq>
<rq id="source_track_id">Campaign ID</rq>
<rq id="559607bd0f63f65f6892eff0477b5be1c123582d_123456">Department</rq>
<rq id="86cb4cddbaf8762010db311d9e035d59c755ad3a_123456">Have you previously attended one of our webcasts?</rq>
</registration_questions>
<surveys>
<survey id="5458e5c0bef1f4.34548499" name="Halftime Survey" type="In Event">
<sq id="5458e5d1ee0891.61344744" type="Radio Vertical">Are you enjoying this presentation?</sq>
<sq id="5458e5c1451728.31353993" type="Textbox">Is there any topic that you would like us to discuss in a future webcast?</sq>
</survey>
<survey id="5458e5eee7e073.49742677" name="Attendance Check" type="Attendance"/>
<survey id="5458e61d2dca04.58375990" name="Ending Questionaire" type="Post Event">
<sq id="5458e6d05a6341.17478629" type="Checkbox Vertical">Which of the following social media platforms do you use regularly for your business?</sq>
<sq id="5458e61d96b9a3.90404248" type="Radio Vertical">Do you directly manage your company's social media accounts?</sq>
<sq id="5458e62d69a857.50529993" type="Text Area">What is your business's Twitter handle?</sq>
</survey>
</surveys>
<viewers>
<viewer>
<registration_date>11/04/2014 07:53:35 PM</registration_date>
<registration_answers>
<ra id="firstname">Alice</ra>
<ra id="lastname">Williams</ra>
<ra id="company">YourCo</ra>
<ra id="email">awilliams@yourco.com</ra>
<ra id="source_track_id">Linkedin Campaign</ra>
<ra id="559607bd0f63f65f6892eff0477b5be1c123582d_123456">Marketing</ra>
<ra id="86cb4cddbaf8762010db311d9e035d59c755ad3a_123456">Yes</ra>
</registration_answers>
<sessions>
<session>
<type>Live</type>
<start_time>11/04/2014 08:04:01 PM</start_time>
<end_time>11/04/2014 08:08:07 PM</end_time>
<duration>246000</duration>
<media/>
</session>
</sessions>
<qa>
<question>
How do you engage with customers using social media in a meaningful way?
<answer>Great question! We will be addressing this shortly.</answer>
</question>
<question>
Is there a way to more easily follow / unfollow large numbers of users on twitter?
</question>
</qa>
<survey_responses>
<sr survey_id="5458e5c0bef1f4.34548499" question_id="5458e5c1451728.31353993">I'd
love to hear more about advertising on social media.</sr>
<sr survey_id="5458e5c0bef1f4.34548499"
question_id="5458e5d1ee0891.61344744">Yes</sr>
<sr survey_id="5458e5eee7e073.49742677">Yes</sr>
<sr survey_id="5458e61d2dca04.58375990"
question_id="5458e61d96b9a3.90404248">No</sr>
<sr survey_id="5458e61d2dca04.58375990"
question_id="5458e62d69a857.50529993">@yourcompany</sr>
<sr survey_id="5458e61d2dca04.58375990"
question_id="5458e6d05a6341.17478629">Twitter | Facebook | Pinterest</sr>
</survey_responses>
</viewer>
<viewer>
<registration_date>11/04/2014 07:54:29 PM</registration_date>
<registration_answers>
<ra id="firstname">Michael</ra>
<ra id="lastname">Scott</ra>
<ra id="company">CompanyX</ra>
<ra id="email">mscott@companyx.com</ra>
</registration_answers>
<sessions>
<session>
<type>On-Demand</type>
<start_time>12/10/2014 11:50:18 PM</start_time>
<end_time>12/10/2014 11:51:30 PM</end_time>
<duration>72000</duration>
<media/>
</session>
<session>
<type>On-Demand</type>
<start_time>12/11/2014 10:20:30 PM</start_time>
<end_time>12/11/2014 10:22:47 PM</end_time>
<duration>137000</duration>
<media/>
</session>
</sessions>
<qa/>
<survey_responses/>
</viewer>
<viewer>
<registration_date>11/04/2014 08:33:47 PM</registration_date>
<registration_answers>
<ra id="firstname">Martin</ra>
<ra id="lastname">Thomas</ra>
<ra id="company">Second City Bank</ra>
<ra id="email">mthomas@secondcitybank.com</ra>
</registration_answers>
<sessions>
<session>
<type>On-Demand</type>
<start_time>11/04/2014 08:33:47 PM</start_time>
<end_time>11/04/2014 08:37:52 PM</end_time>
<duration>245000</duration>
<media/>
</session>
</sessions>
<qa>
<question>
How can I use Twitter to increase sales on my website?
</question>
</qa>
<survey_responses>
<sr survey_id="5458e5c0bef1f4.34548499"
question_id="5458e5c1451728.31353993">ecommerce</sr>
<sr survey_id="5458e5c0bef1f4.34548499"
question_id="5458e5d1ee0891.61344744">Yes</sr>
<sr survey_id="5458e5eee7e073.49742677">Yes</sr>
<sr survey_id="5458e61d2dca04.58375990"
question_id="5458e61d96b9a3.90404248">No</sr>
<sr survey_id="5458e61d2dca04.58375990"
question_id="5458e62d69a857.50529993">@secondcitybank</sr>
<sr survey_id="5458e61d2dca04.58375990"
question_id="5458e6d05a6341.17478629">Twitter</sr>
</survey_responses>
</viewer>
<viewer>
<registration_date>11/04/2014 08:39:09 PM</registration_date>
<registration_answers>
<ra id="firstname">Alexandra</ra>
<ra id="lastname">Graystone</ra>
<ra id="company">Company X</ra>
<ra id="email">agraystone@companyx.com</ra>
<ra id="559607bd0f63f65f6892eff0477b5be1c123582d_123456">Engineering</ra>
<ra id="86cb4cddbaf8762010db311d9e035d59c755ad3a_123456">No</ra>
</registration_answers>
<qa/>
<survey_responses/>
</viewer>
<viewer>
<registration_date>11/04/2014 08:40:41 PM</registration_date>
<registration_answers>
<ra id="firstname">Marie</ra>
<ra id="lastname">Davis</ra>
<ra id="company">Your Co</ra>
<ra id="email">mdavis@yourco.com</ra>
<ra id="559607bd0f63f65f6892eff0477b5be1c123582d_123456">Product Strategy</ra>
<ra id="86cb4cddbaf8762010db311d9e035d59c755ad3a_123456">Yes</ra>
</registration_answers>
<qa/>
<survey_responses/>
</viewer>
<viewer>
<registration_date>11/04/2014 08:41:39 PM</registration_date>
<registration_answers>
<ra id="firstname">Arthur</ra>
<ra id="lastname">Collins</ra>
<ra id="company">2nd City Bank</ra>
<ra id="email">arthur.collins@gmail.com</ra>
<ra id="559607bd0f63f65f6892eff0477b5be1c123582d_123456">Sales</ra>
<ra id="86cb4cddbaf8762010db311d9e035d59c755ad3a_123456">No</ra>
</registration_answers>
<sessions>
<session>
<type>SimLive</type>
<start_time>11/04/2014 08:41:40 PM</start_time>
<end_time>11/04/2014 08:49:08 PM</end_time>
<duration>448000</duration>
<media/>
</session>
</sessions>
<qa/>
<survey_responses>
<sr survey_id="5458e5c0bef1f4.34548499"
question_id="5458e5c1451728.31353993">not
sure</sr>
<sr survey_id="5458e5c0bef1f4.34548499"
question_id="5458e5d1ee0891.61344744">Yes</sr>
<sr survey_id="5458e5eee7e073.49742677">Yes</sr>
<sr survey_id="5458e61d2dca04.58375990"
question_id="5458e61d96b9a3.90404248">No</sr>
<sr survey_id="5458e61d2dca04.58375990"
question_id="5458e62d69a857.50529993">I
don't know</sr>
<sr survey_id="5458e61d2dca04.58375990"
question_id="5458e6d05a6341.17478629">Facebook | Twitter</sr>
</survey_responses>
</viewer>
</viewers>
</report_data>
</result>
</convey_api>
"""
