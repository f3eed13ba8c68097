"""Response examples from ON24's own OpenAPI file (reference/on24-openapi.json), verbatim.

The sandbox serves them as the data of event 311512 (the event the registrant, attendee, survey
and poll examples belong to), so tests can check the exact mapping of ON24's documented payloads.
Copied here because the wheel must not depend on the reference folder.
"""

from __future__ import annotations

import typing as t

# /event (includesubaccounts is not passed or if includesubaccounts = N)
EVENT_LISTING: t.Any = {
    "eventanalytics": {
        "totalregistrants": 1,
        "totalattendees": 1,
        "liveattendees": 1,
        "ondemandattendees": 1,
        "averageliveminutes": 1,
        "averagecumulativeliveminutes": 1,
        "averagearchiveminutes": 1,
        "averagecumulativearchiveminutes": 1,
        "totalcumulativeliveminutes": 36,
        "totalcumulativearchiveminutes": 0,
        "totalcumulativeminutes": 36,
        "totalmediaplayerminutes": 36,
        "totallivemediaplayerminutes": 36,
        "totalarchivemediaplayerminutes": 0,
    },
    "eventid": 9922511,
    "clientid": 22950,
    "goodafter": "2017-02-02T03:35:00-08:00",
    "isactive": True,
    "regrequired": True,
    "description": "New Live event on 2 FEB 2017",
    "promotionalsummary": "Promotional Summary Sample",
    "regnotificationrequired": True,
    "displaytimezonecd": "America/Los_Angeles",
    "eventtype": "Live PC Mic",
    "category": "Marketing",
    "createtimestamp": "2017-02-02T03:27:47-08:00",
    "localelanguagecd": "zh",
    "localecountrycd": "TW",
    "lastmodified": "2017-02-02T03:27:47-08:00",
    "lastupdated": "2017-02-02T03:29:00-08:00",
    "iseliteexpired": "N",
    "application": "Investor Relations",
    "livestart": "2017-02-02T03:20:00-08:00",
    "liveend": "2017-02-02T04:05:00-08:00",
    "archivestart": "2017-02-02T04:35:00-08:00",
    "archiveend": "2018-02-02T04:35:00-08:00",
    "audienceurl": "https://eventqa.on24.com/wcc/r/9922511/130A59F68EA9F7E1E2FE9B7FBBA54A9F",
    "scheduledeventduration": 60,
    "eventprofile": "Stonehenge Profile (918)",
    "streamtype": "whitepaper",
    "audiencekey": "130A59F68EA9F7E1E2FE9B7FBBA54A9F",
    "extaudienceurl": "www.google.com",
    "reporturl": "https://dataqa.on24.com/webcast/report?e=9922511&k=A8EBCD7A76D8BF36D71DCFEBED688237",
    "uploadurl": "https://wcc.on24.com/webcast/login",
    "pmurl": "https://wcc.on24.com/webcast/present?e=9922511&k=A8EBCD7A76D8BF36D71DCFEBED688237",
    "previewurl": "http://eventqa.on24.com/webcast/previewlobby?e=9922511&k=A8EBCD7A76D8BF36D71DCFEBED688237",
    "contenttype": "webcast",
    "campaigncode": "campaignCode31536770910802",
    "eventlocation": "campaignCode31536770910802",
    "createdby": "Joe Smith",
    "ishybridevent": True,
    "partnerrefstats": [{"code": "-", "count": 2}],
    "tags": ["custom tag 1", "custom tag 2", "custom tag 3"],
    "funnelstages": ["Consideration", "Awareness", "Evaluation"],
    "speakers": [
        {
            "name": "Matthew Parfitt",
            "title": "President",
            "company": "Vulture US",
            "description": "As President of Vuture in North America, Matt focuses on marketing "
            "communications in the legal sector which 4 years ago saw him "
            "launch Vuture in the USA. Matt is a regular speaker and active "
            "member of the LMA and has been chair the New York CRM group for "
            "the last 3 years.",
        },
        {
            "name": "Samantha McKenna",
            "title": "Director of Sales",
            "company": "ON24 Inc.",
            "description": "As Director of Sales, Samantha McKenna heads up the strategy "
            "behind ON24's legal presence. A thought leader in the legal "
            "industry, Sam works directly with ON24's legal clients on their "
            "go-to-market strategy for webinars, thought leadership events, "
            "virtual learning environments and virtual communications for "
            "alumni relations. She has served the legal community by attending "
            "the last seven Legal Marketing Association annual conferences, "
            "supporting several LMA chapters with sponsorships and by working "
            "directly with LMA on their national webinars as of 2015.",
        },
    ],
    "eventstd1": "EF1",
    "eventstd2": "EF2",
    "eventstd3": "EF3",
    "eventstd4": "EF4",
    "eventstd5": "EF5",
    "istestevent": True,
    "surveyurls": [
        "https://eventqa.on24.com/eventManager/presentation/survey.jsp?eventId=9922511&sessionid=1&key=C9E1154B35A0AE0F3AF2858E25EA5509&survey=survey1"
    ],
    "customaccounttags": [
        {"groupid": 103, "groupname": "Group 3", "tagid": 747, "tagname": "Option 3-A"}
    ],
    "customeventfields": [
        {"name": "custom1", "label": "Region", "value": "North America"},
        {"name": "custom2", "label": "Org", "value": "Research"},
        {"name": "custom3", "label": "CRM Campaign Code", "value": "111"},
        {"name": "custom4", "label": "MAP Campaign Code", "value": "222"},
        {"name": "custom5", "label": "Product", "value": "Computer"},
    ],
    "media": {
        "audios": [
            "http://eventqa.on24.com/media_qa/news/corporatevideo/events/58/81/61/9/rt/demo_audio.wav"
        ],
        "videos": [
            "http://pmqa.on24.com/media_qa/cv/events/58/81/61/9/rt/1_fhvideo1_demo_video.mp4"
        ],
        "slides": ["http://eventqa.on24.com/event/58/72/14/5/rt/1/slide/slide/demo_slide.jpg"],
        "videoclips": [
            "http://eventqa.on24.com/media_qa/news/corporatevideo/events/58/72/14/5/rt/1/flashdemo/flashdemo/demo_clip.mp4"
        ],
        "urls": ["http://www.hotmail.com", "http://www.on24.com"],
        "polls": [
            "http://eventqa.on24.com/eventManager/EventQuestionServlet?mode=get&eventid=9922511&mediaurlid=91997329",
            "http://eventqa.on24.com/eventManager/EventQuestionServlet?mode=get&eventid=9922511&mediaurlid=92221593",
        ],
    },
}

# /event/{eventId} (When content type is webcast)
EVENT_DETAIL: t.Any = {
    "eventanalytics": {
        "totalregistrants": 10,
        "totalattendees": 9,
        "liveattendees": 0,
        "ondemandattendees": 9,
        "numberofquestionsasked": 0,
        "numberofquestionsanswered": 0,
        "numberofpollspushed": 2,
        "numberofpollresponses": 0,
        "numberofsurveyspresented": 2,
        "numberofsurveyresponses": 0,
        "noshowcount": 1,
        "registrationpagehits": 4,
        "sharethiswidgetuniqueviews": 2,
        "sharethiswidgettotalviews": 3,
        "twitterwidgetuniqueviews": 1,
        "twitterwidgettotalviews": 8,
        "numberofctaclicks": 3,
        "numberofmeetingconversions": 3,
        "numberofdemoconversions": 2,
        "numberoffreetrialrequests": 1,
        "numberofdrifts": 1,
        "numberofgroupchatmessagessubmitted": 10,
        "numberofresourcesavailable": 3,
        "attendeeswhodownloadedresource": 1,
        "uniqueattendeeresourcedownloads": 2,
        "eventengagementscore": 1.7,
        "numberoftestssubmitted": 10,
        "numberoftestspassed": 8,
        "averageliveminutes": 8,
        "averagecumulativeliveminutes": 5,
        "averagearchiveminutes": 3,
        "averagecumulativearchiveminutes": 2,
        "totalcumulativeliveminutes": 36,
        "totalcumulativearchiveminutes": 0,
        "totalcumulativeminutes": 36,
        "totalmediaplayerminutes": 36,
        "totallivemediaplayerminutes": 36,
        "totalarchivemediaplayerminutes": 0,
    },
    "eventid": 10432146,
    "eventname": "event Abstract",
    "clientid": 22950,
    "eventduration": 45,
    "goodafter": "2016-10-18T04:35:00-07:00",
    "isactive": True,
    "goodtill": "2018-09-12T19:15:48-07:00",
    "regrequired": True,
    "description": "New Webcast",
    "promotionalsummary": "Promotional Summary Sample",
    "regnotificationrequired": True,
    "displaytimezonecd": "America/Los_Angeles",
    "qandaemail": "abhijeet.joshi@lmsin.com",
    "eventlocation": "campaignCode31536770910802",
    "eventtype": "Broadcast Video",
    "category": "Marketing",
    "servicetype": "Full Service",
    "sponsor": "Ernst & Young",
    "createtimestamp": "2016-10-18T04:34:06-07:00",
    "keyword": "Wired and wireless network, network architecture, IT Professionals, merger or "
    "acquisition",
    "localelanguagecd": "zh",
    "localecountrycd": "TW",
    "lastmodified": "2016-10-18T04:34:06-07:00",
    "lastupdated": "2016-10-20T09:58:12-07:00",
    "iseliteexpired": "N",
    "application": "Investor Relations",
    "industry": "Software",
    "livestart": "2016-10-18T04:20:00-07:00",
    "liveend": "2016-10-18T05:20:00-07:00",
    "archivestart": "2016-10-18T06:30:00-07:00",
    "archiveend": "2017-10-18T06:30:00-07:00",
    "scheduledeventduration": 60,
    "eventprofile": "Stonehenge Profile (918)",
    "streamtype": "video",
    "audiencekey": "9AB4ABD834D841E9E5ED9124D266848B",
    "extaudienceurl": "www.google.com",
    "reporturl": "https://data.on24.com/webcast/report?e=10432146&k=A8EBCD7A76D8BF36D71DCFEBED688237",
    "uploadurl": "https://wcc.on24.com/webcast/login",
    "pmurl": "https://wcc.on24.com/webcast/present?e=10432146&k=A8EBCD7A76D8BF36D71DCFEBED688237",
    "previewurl": "http://event.on24.com/webcast/previewlobby?e=10432146&k=A8EBCD7A76D8BF36D71DCFEBED688237",
    "audienceurl": "https://event.on24.com/wcc/r/10432146/9AB4ABD834D841E9E5ED9124D266848B",
    "singlefilearchive": "https://wccdownload.on24.com/event/92/45/75/96/rt/1_8C2F9DE3B5BD3AF93E297B37F1062EA6.mp4",
    "presentermediavideofile": "https://wccdownload.on24.com/media/cv/events/92/45/75/96/rt/1_fhvideo1_1683630889731.mp4?filename=1_fhvideo1_1683630889731.mp4",
    "presentermediaaudiofile": "https://wccdownload.on24.com/media/cv/events/92/45/75/96/rt/1683630889731.wav?filename=1683630889731.wav",
    "contenttype": "webcast",
    "ishybridevent": True,
    "partnerrefstats": [{"code": "-", "count": 2}],
    "tags": ["custom tag 1", "custom tag 2", "custom tag 3"],
    "funnelstages": ["Consideration", "Awareness", "Evaluation"],
    "speakers": [
        {
            "name": "Matthew Parfitt",
            "title": "President",
            "company": "Vulture US",
            "description": "As President of Vuture in North America, Matt focuses on marketing "
            "communications in the legal sector which 4 years ago saw him "
            "launch Vuture in the USA. Matt is a regular speaker and active "
            "member of the LMA and has been chair the New York CRM group for "
            "the last 3 years.",
        },
        {
            "name": "Samantha McKenna",
            "title": "Director of Sales",
            "company": "ON24 Inc.",
            "description": "As Director of Sales, Samantha McKenna heads up the strategy "
            "behind ON24's legal presence. A thought leader in the legal "
            "industry, Sam works directly with ON24's legal clients on their "
            "go-to-market strategy for webinars, thought leadership events, "
            "virtual learning environments and virtual communications for "
            "alumni relations. She has served the legal community by attending "
            "the last seven Legal Marketing Association annual conferences, "
            "supporting several LMA chapters with sponsorships and by working "
            "directly with LMA on their national webinars as of 2015.",
        },
    ],
    "encoders": [
        {
            "encoder": "Encoder A",
            "url": "rtmp://fmseosa.on24.com/liveeosa",
            "streamid": "5439654_1_fhvideo1_CA6701A4E974D5F01F1658BAD56EC63F_A",
        },
        {
            "encoder": "Encoder B",
            "url": "rtmp://fmseosb.on24.com/liveeosb",
            "streamid": "5439654_1_fhvideo1_CA6701A4E974D5F01F1658BAD56EC63F_B",
        },
    ],
    "eventstd1": "EF1",
    "eventstd2": "EF2",
    "eventstd3": "EF3",
    "eventstd4": "EF4",
    "eventstd5": "EF5",
    "surveyurls": [
        "https://eventqa.on24.com/eventManager/presentation/survey.jsp?eventId=10432146&sessionid=1&key=C9E1154B35A0AE0F3AF2858E25EA5509&survey=survey1"
    ],
    "customaccounttags": [
        {"groupid": 103, "groupname": "Group 3", "tagid": 747, "tagname": "Option 3-A"}
    ],
    "customeventfields": [
        {"name": "custom1", "label": "Region", "value": "North America"},
        {"name": "custom2", "label": "Org", "value": "Research"},
        {"name": "custom3", "label": "CRM Campaign Code", "value": "111"},
        {"name": "custom4", "label": "MAP Campaign Code", "value": "222"},
        {"name": "custom5", "label": "Product", "value": "Computer"},
    ],
    "socialsharingimage": "https://eventqa.on24.com/event/85/07/24/25/rt/1/images/socialsharing/socialsharing.jpg",
    "socialsharingabstract": "Social Sharing Sample.",
    # A copy-button label pasted into the example: a documentation typo, not a shape to serve.
    "istestevent": "falseCopy to clipboard",
}

# /event/{eventId}/registrant (example)
REGISTRANT: t.Any = {
    "eventuserid": 49177588,
    "firstname": "Gina",
    "lastname": "Xxxxxx",
    "email": "xxxxxxxxx@on24.com",
    "company": "ON24",
    "jobtitle": "marketing",
    "addressstreet1": "XXXXX XX XXX",
    "addressstreet2": "XXX-XX",
    "city": "Mountainview",
    "state": "CA",
    "zip": "02139",
    "country": "United States",
    "workphone": "(123)-456-7890",
    "jobfunction": "Manager",
    "companyindustry": "Software",
    "companysize": "1 - 49",
    "partnerref": "Ref1",
    "eventid": 311512,
    "std1": "std1",
    "std2": "std2",
    "std3": "std3",
    "std4": "std4",
    "std5": "std5",
    "std6": "std6",
    "std7": "std7",
    "std8": "std8",
    "std9": "std9",
    "std10": "std10",
    "fax": "(123)-456-7890",
    "username": "glockhart",
    "exteventusercd": "154092645",
    "other": "sample field content",
    "notes": "sample note 1",
    "marketingemail": "N",
    "eventemail": "Y",
    "homephone": "(123)-456-7890",
    "createtimestamp": "2017-05-08T18:44:59-07:00",
    "lastactivity": "2017-05-08T18:44:59-07:00",
    "browser": "mozilla/5.0",
    "ipaddress": "80.115.1.5",
    "os": "win10",
    "emailformat": "text",
    "engagementprediction": "LOW",
    "userprofileurl": "https://data.on24.com/webcast/lead?token=EZB3pmHf6Pa-74Pu8sHetFxWDF64bdJ6VhSTJo42qfacGzyB0gEyQCFjUSHJ74ZzETfjZizOdUBFm3JYSG-lyGiPb8_sDbY1RbbdlMtLndM=",
    "campaigncode": "CMP-001",
    "sourcecampaigncode": "CMP-001",
    "sourceeventid": 2141380,
    "userstatus": "active",
    "utmsource": "newsletter",
    "utmmedium": "banner",
    "utmcampaign": "spring_sale_2022",
    "utmterm": "spring+sale",
    "utmcontent": "https://mydomain.com/i/p/campaigns/spring_sale_2022.jpg",
    "attendeetype": "Virtual",
}

# /event/{eventId}/attendee (Elite account)
ATTENDEE: t.Any = {
    "email": "xxxxxxxx@on24.com",
    "eventuserid": 49502149,
    "exteventusercd": "1502",
    "userstatus": "active",
    "isblocked": "N",
    "engagementscore": 8.5,
    "liveminutes": 40,
    "liveviewed": 1,
    "firstliveactivity": "2015-05-19T11:01:42-07:00",
    "lastliveactivity": "2015-05-19T11:41:42-07:00",
    "archiveminutes": 120,
    "archiveviewed": 2,
    "firstarchiveactivity": "2015-05-19T06:14:17-07:00",
    "lastarchiveactivity": "2015-05-19T09:20:48-08:00",
    "askedquestions": 2,
    "resourcesdownloaded": 2,
    "answeredpolls": 2,
    "answeredsurveys": 2,
    "answeredsurveyquestions": 4,
    "launchmode": "At the Venue",
    "questions": [
        {
            "questionid": 6268255,
            "createtimestamp": "2015-05-19T11:55:12-07:00",
            "content": "What happens if I forget my password?",
            "answer": {
                "createtimestamp": "2015-05-19T11:57:12-07:00",
                "content": "Customer service will email you instructions for getting a "
                "new password",
                "presenterid": 813717,
                "presentername": "Mark XXXXX",
                "privacy": "Private",
            },
        },
        {
            "questionid": 6268257,
            "createtimestamp": "2015-05-19T11:58:12-07:00",
            "content": "Can you use the tool to send SMS texts directly?",
            "answer": {
                "createtimestamp": "2015-05-19T11:59:59-07:00",
                "content": "No, although you can set up a Twitter hashtag  for an event",
                "presenterid": 813706,
                "presentername": "Steve XXXXX",
                "privacy": "Private",
            },
        },
    ],
    "polls": [
        {
            "pollid": 16818601,
            "pollsubmittedtimestamp": "2015-05-19T11:45:12-07:00",
            "pollquestionid": 6268336,
            "pollquestion": "Which products are you interested in? (select all that apply)",
            "pollanswers": ["Full Service Webcasts"],
            "pollanswersdetail": [{"answercode": "choice1", "answer": "Full Service Webcasts"}],
        },
        {
            "pollid": 16818630,
            "pollsubmittedtimestamp": "2015-05-19T11:47:12-07:00",
            "pollquestionid": 6268358,
            "pollquestion": "How familiar are you with virtual event solutions?",
            "pollanswers": ["Unfamiliar"],
            "pollanswersdetail": [{"answercode": "choice1", "answer": "Unfamiliar"}],
        },
    ],
    "resources": [
        {
            "resourceid": 16836843,
            "resourceviewed": "Frost and Sullivan 2012",
            "resourceviewedtimestamp": "2015-05-19T12:05:02-07:00",
        },
        {
            "resourceid": 16836837,
            "resourceviewed": "5 keys to webcasting",
            "resourceviewedtimestamp": "2015-05-19T12:15:37-07:00",
        },
    ],
    "surveys": [
        {
            "surveyid": "311512_survey1",
            "surveysubmittedtimestamp": "2015-05-19T11:49:12-07:00",
            "surveyquestions": [
                {
                    "surveyquestionid": 6268293,
                    "surveyquestion": "How valuable was the information presented?",
                    "questioncode": "110",
                    "primaryquestioncode": "110",
                    "surveyanswers": ["Not Valuable at all"],
                    "surveyanswersdetail": [
                        {"answercode": "choice1", "answer": "Not Valuable at all"}
                    ],
                },
                {
                    "surveyquestionid": 6268271,
                    "surveyquestion": "What industry are you in?",
                    "surveyanswers": ["Food& Beverage"],
                    "surveyanswersdetail": [{"answercode": "choice1", "answer": "Food& Beverage"}],
                },
            ],
        },
        {
            "surveyid": "311512_survey2",
            "surveysubmittedtimestamp": "2015-05-19T11:51:12-07:00",
            "surveyquestions": [
                {
                    "surveyquestionid": 6268306,
                    "surveyquestion": "Would you like a 1:1 session with an expert?",
                    "surveyanswers": ["No"],
                    "surveyanswersdetail": [{"answercode": "choice1", "answer": "No"}],
                },
                {
                    "surveyquestionid": 6268299,
                    "surveyquestion": "Which tools are you using today?",
                    "questioncode": "235",
                    "primaryquestioncode": "234",
                    "surveyanswers": ["Webex"],
                    "surveyanswersdetail": [{"answercode": "choice1", "answer": "Webex"}],
                },
            ],
        },
    ],
    "twitterwidget": [
        {
            "date": "2015-05-19T11:02:39-07:00",
            "tweetdescription": "A new Webinar on Artificial Intelligence has been "
            "scheduled. Check www.on24.com/eventschedule",
        }
    ],
    "calltoactions": [
        {
            "ctaid": "83970357",
            "ctaname": "Call To Action 1",
            "clicks": "3",
            "action": "https://www.calltoactionurl.com",
            "date": "2015-05-19T11:10:00-07:00",
        }
    ],
    "testwidgets": [
        {
            "testwidgetresult": "P",
            "retries": 0,
            "correctanswersneeded": 2,
            "correctanswersprovided": 2,
        }
    ],
    "testwidgetresult": "P",
    "certificationwidgetresult": "C",
    "certificationcredit": "NR",
    "certificationtimestamp": "2015-05-19T12:29:41-07:00",
    "userprofileurl": "https://dataqa.on24.com/webcast/lead?token=bEXeTgJ6Y3qWV0hrUSTYW_y2Nlwkx9EiC7UTDo-N6Ler9Nwy34-qz2C-iXx_ejsO7EWvjLE-BRqxO1-mFbLpq4cF99i1M7dmCqVvCrw=",
    "campaigncode": "CPM-001",
    "sourcecampaigncode": "CMP-001",
    "sourceeventid": 2141380,
    "cumulativeliveminutes": 40,
    "cumulativearchiveminutes": 120,
    "partnerref": "registered_partner",
    "attendancepartnerref": "last_partner",
    "attendeesessions": 4,
    "certifications": [
        {
            "certificationid": 83328985,
            "certificationresult": "C",
            "certificationname": "Certification 1",
            "certificationcredit": "NR",
            "certificationtimestamp": "2015-05-19T12:29:41-07:00",
            "certificationurl": "https://event.on24.com/ceCertficate/26/18/35/24/2/certificate_83328985.pdf",
        }
    ],
    "meetingconversions": [
        {
            "widgetid": "98533828",
            "widgetname": "Book a Meeting Sample",
            "widgettype": "book_a_meeting",
            "widgetaction": "https://www.bookedmeeting.com",
            "widgetsubmittedtimestamp": "2016-01-01T10:00:23-07:00",
        }
    ],
    "democonversions": [
        {
            "widgetid": "98533852",
            "widgetname": "Schedule a Demo Sample",
            "widgettype": "request_a_demo",
            "widgetaction": "jane.doe@on24.com",
            "widgetsubmittedtimestamp": "2016-01-01T11:00:23-07:00",
        }
    ],
    "freetrial": [
        {
            "widgetid": "93838564",
            "widgetname": "Free Trial Sample",
            "widgettype": "free_trial",
            "widgetaction": "john.doe@on24.com",
            "widgetsubmittedtimestamp": "2016-01-01T11:07:23-07:00",
        }
    ],
    "contactus": [
        {
            "widgetid": "7884",
            "widgetname": "Contact us 1",
            "widgettype": "contactus",
            "widgetaction": "john.doe@on24.com",
            "widgetsubmittedtimestamp": "2015-05-20T11:18:13-07:00",
        }
    ],
    "drift": [
        {
            "widgetid": "93858367",
            "widgetname": "startConversation",
            "widgettype": "drift",
            "widgetaction": "Jan 01, 2016 10:00 AM",
            "widgetsubmittedtimestamp": "2016-01-01T11:07:23-07:00",
        }
    ],
    "breakouts": [
        {
            "breakoutid": "4816",
            "breakoutname": "Breakout Room Sample",
            "breakoutrole": "Attendee",
            "breakoutcumulativeliveminutes": 15,
        }
    ],
    "calendly": [{"meetingsbooked": 2}],
    "shareidea": [
        {
            "topic": "What are the best colors?",
            "type": "IDEA",
            "description": "Blue",
            "ideanumber": 66628,
            "rating": 1,
            "datetime": "2024-07-26T07:38:51-07:00",
        },
        {
            "topic": "How can we increase our audience engagement?",
            "type": "COMMENT",
            "description": "By providing relevant and exciting information.",
            "ideanumber": 66627,
            "datetime": "2024-07-26T07:37:24-07:00",
        },
    ],
    "reactions": [
        {"type": "celebrate", "timefromstart": 9, "datetime": "2024-06-16T23:40:40-07:00"},
        {"type": "laugh", "timefromstart": 7, "datetime": "2024-06-16T23:40:38-07:00"},
        {"type": "heart", "timefromstart": 6, "datetime": "2024-06-16T23:40:37-07:00"},
        {"type": "like", "timefromstart": 4, "datetime": "2024-06-16T23:40:35-07:00"},
    ],
    "livemediaplayerminutes": 40,
    "archivemediaplayerminutes": 40,
}

# /event/{eventId}/attendeesession (example)
ATTENDEE_SESSIONS: t.Any = [
    {
        "id": 150332406,
        "email": "oduser21march1@inbfw.com",
        "firstname": "oduser21march1",
        "lastname": "inbfw",
        "duration": "00:00:13",
        "starttime": "2018-03-21T03:06:53-07:00",
        "endtime": "2018-03-21T03:07:06-07:00",
        "usage": "Archived",
        "mediastream": "Flash Audio",
        "os": "win8.1",
        "browser": "firefox58",
        "streamsource": "https",
        "ipaddress": "115.166.143.238",
        "exteventusercd": "1502",
        "launchmode": "At the Venue",
    },
    {
        "id": 150332447,
        "email": "ieuser1@inbfw.com",
        "firstname": "IEuser1",
        "lastname": "inbfw",
        "duration": "00:08:18",
        "starttime": "2018-03-21T02:24:47-07:00",
        "endtime": "2018-03-21T02:33:05-07:00",
        "usage": "Archived",
        "mediastream": "Flash Audio",
        "os": "win8.1",
        "browser": "msie11",
        "streamsource": "https",
        "ipaddress": "115.166.143.238",
        "exteventusercd": "986",
        "launchmode": "Watching remote",
    },
]

# /event/{eventId}/survey (Elite account)
SURVEYS: t.Any = [
    {
        "surveyid": "311512_survey1",
        "surveycode": "survey1",
        "surveyquestions": [
            {
                "questionid": 8887738,
                "questiontype": "singleoption",
                "question": "What is your age?",
                "questioncode": 110,
                "responses": 0,
            },
            {
                "questionid": 6268271,
                "questiontype": "singleoption",
                "question": "What industry are you in?",
                "questioncode": 210,
                "responses": 74,
                "surveyanswer": [
                    {"answercode": "choice1", "answer": "Technology", "percentage": 16.3},
                    {"answercode": "choice2", "answer": "HealthCare", "percentage": 6.8},
                    {"answercode": "choice3", "answer": "Finance", "percentage": 36.4},
                    {"answercode": "choice4", "answer": "Retail", "percentage": 27},
                    {"answercode": "choice5", "answer": "Food & Beverage", "percentage": 13.5},
                ],
            },
            {
                "questionid": 6268299,
                "questiontype": "singletext",
                "question": "Which tools are you using today?",
                "questioncode": 315,
                "responses": 8,
            },
            {
                "questionid": 6268293,
                "questiontype": "singleoption",
                "question": "How valuable was the information presented?",
                "questioncode": 673,
                "responses": 74,
                "surveyanswer": [
                    {"answercode": "choice1", "answer": "Very valuable", "percentage": 50.1},
                    {"answercode": "choice2", "answer": "Valuable", "percentage": 28.4},
                    {"answercode": "choice3", "answer": "Neutral", "percentage": 8.1},
                    {"answercode": "choice4", "answer": "Somewhat Valuable", "percentage": 6.7},
                    {"answercode": "choice5", "answer": "Not Valuable at all", "percentage": 6.7},
                ],
            },
            {
                "questionid": 6268306,
                "questiontype": "singleoption",
                "question": "Would you like a 1:1 session with an expert?",
                "questioncode": 704,
                "responses": 74,
                "surveyanswer": [
                    {"answercode": "choice1", "answer": "Yes", "percentage": 12.2},
                    {"answercode": "choice2", "answer": "No", "percentage": 87.8},
                ],
            },
        ],
    }
]

# /event/{eventId}/poll (example)
POLLS: t.Any = [
    {
        "pollid": 16818630,
        "polltype": "singleoption",
        "pollquestionid": 6268358,
        "pollquestion": "How familiar are you with virtual event solutions?",
        "totalvotes": 67,
        "livepushedtimestamp": "2023-05-19T06:14:17-07:00",
        "summary": [
            {"answercode": "choice1", "answer": "Very Familiar", "percentage": 7.5},
            {"answercode": "choice2", "answer": "Somewhat Familiar", "percentage": 62.7},
            {"answercode": "choice3", "answer": "Unfamiliar", "percentage": 22.4},
            {"answercode": "choice4", "answer": "Not Sure", "percentage": 7.4},
        ],
    },
    {
        "pollid": 16818601,
        "polltype": "multioption",
        "pollquestionid": 6268336,
        "pollquestion": "Which products are you interested in? (select all that apply)",
        "totalvotes": 43,
        "livepushedtimestamp": "2023-05-19T06:28:12-07:00",
        "summary": [
            {"answercode": "choice1", "answer": "Self Service Webcasts", "percentage": 25.6},
            {"answercode": "choice2", "answer": "Full Service Webcasts", "percentage": 44.2},
            {"answercode": "choice3", "answer": "Virtual Business Centers", "percentage": 30.2},
        ],
    },
]
