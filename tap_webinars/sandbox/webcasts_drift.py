"""Field-level drift for the Webcasts simulator: what a real account's XML may start sending.

Switched on per sandbox with `{"webcasts": {"drift": ["unknown_fields", ...]}}` (the
simulator's `configure`); each kind rewrites the rendered XML of the event list and of the
Audience Details report (one head part, then one part per viewer), so every other behaviour
of the simulator (sessions, quotas, return codes) stays as it is.

Kinds:
    unknown_fields     new elements and attributes everywhere: event list attribute, report
                       envelope element, report_data leaf and nested section, analytics
                       figure, viewer attribute and nested element, session attribute and
                       element, answer and question attributes
    empty_fields       elements left empty or out: event title and cost center empty, the
                       analytics section gone, a viewer without registration date, session
                       durations empty; the event list's cost_center attribute gone
    whitespace         whitespace-only text: cost center, company answers, session media,
                       Q&A answers
    spaced_numbers     numbers wrapped in spaces and line breaks: analytics figures, session
                       durations, the event list's activity markers
    iso_timestamps     report times as `2014-11-04 15:04:01` (report time zone, 24-hour)
    java_timestamps    report times as Java prints them: `Tue Nov 04 15:04:01 GMT 2014`
    duplicate_event    the event list shows its first event twice, the copy with older activity
    duplicate_viewer   the report lists its first viewer twice
    trailing_sections  sections after the viewers: a figure in report_data, an element in
                       result and in convey_api, as a newer report version may add them
"""

from __future__ import annotations

import itertools
import re
import typing as t
from datetime import datetime

KINDS = frozenset(
    {
        "unknown_fields",
        "empty_fields",
        "whitespace",
        "spaced_numbers",
        "iso_timestamps",
        "java_timestamps",
        "duplicate_event",
        "duplicate_viewer",
        "trailing_sections",
    }
)
US_TIME = re.compile(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d [AP]M")
ANALYTICS_FIGURE = re.compile(r"<(total_registrants|no_shows|unique_\w+)>(\d+)<")


def check(kinds: t.Iterable[str]) -> frozenset[str]:
    """The drift kinds asked for; an unknown one is a test's mistake."""
    chosen = frozenset(kinds)
    unknown = chosen - KINDS
    if unknown:
        raise KeyError(f"unknown drift kinds {sorted(unknown)}")
    return chosen


def event_list(xml: str, kinds: frozenset[str]) -> str:
    """The event list with the drift of *kinds*."""
    if "unknown_fields" in kinds:
        xml = xml.replace("<event_info ", '<event_info language="en" ')
    if "empty_fields" in kinds:
        xml = re.sub(r' cost_center="[^"]*"', "", xml)
    if "spaced_numbers" in kinds:
        xml = re.sub(r'(latest_\w+)="(\d+)"', r'\1=" \2 "', xml)
    if "duplicate_event" in kinds:
        first = re.search(r"<event_info [^>]*>[^<]*</event_info>\n", xml)
        if first is not None:
            older = re.sub(
                r'(latest_\w+)="\s*(\d+)\s*"',
                lambda m: f'{m.group(1)}="{int(m.group(2)) - 86_400_000}"',
                first.group(0),
            )
            xml = xml.replace(first.group(0), first.group(0) + older, 1)
    return xml


def report(parts: t.Iterable[str], kinds: frozenset[str]) -> t.Iterator[str]:
    """The report's parts (head, then one per viewer, then the tail) with the drift."""
    numbers = itertools.count(1)
    head_done = False
    first_viewer: str | None = None
    for part in parts:
        if not head_done:
            head_done = True
            yield _times(_head(part, kinds), kinds)
            continue
        if part.startswith("<viewer>"):
            drifted = _times(_viewer(part, kinds, next(numbers)), kinds)
            if first_viewer is None:
                first_viewer = drifted
            yield drifted
            continue
        if "duplicate_viewer" in kinds and first_viewer is not None:
            yield first_viewer
        yield _tail(part, kinds)


def _head(part: str, kinds: frozenset[str]) -> str:
    if "unknown_fields" in kinds:
        part = part.replace(
            "<report_data>\n",
            "<report_version>2.1</report_version>\n<report_data>\n"
            "<webcast_format>Video</webcast_format>\n<presenters>\n"
            '<presenter id="p1">Ann Lee</presenter>\n<presenter id="p2">Bo Chen</presenter>\n'
            "</presenters>\n",
            1,
        )
        part = part.replace(
            "<event_analytics>\n",
            "<event_analytics>\n<peak_concurrent_viewers>3</peak_concurrent_viewers>\n",
            1,
        )
    if "empty_fields" in kinds:
        part = re.sub(r"<eventtitle>[^<]*</eventtitle>", "<eventtitle/>", part)
        part = re.sub(r"<costcenter>[^<]*</costcenter>", "<costcenter></costcenter>", part)
        part = re.sub(r"<event_analytics>.*?</event_analytics>\n", "", part, flags=re.DOTALL)
    if "whitespace" in kinds:
        part = re.sub(r"<costcenter>[^<]*</costcenter>", "<costcenter>  \n </costcenter>", part)
        part = part.replace("<costcenter/>", "<costcenter>  \n </costcenter>")
    if "spaced_numbers" in kinds:
        part = ANALYTICS_FIGURE.sub(r"<\1> \2 \n<", part)
    return part


def _tail(part: str, kinds: frozenset[str]) -> str:
    if "trailing_sections" in kinds:
        part = part.replace(
            "</viewers>\n</report_data>\n</result>\n",
            "</viewers>\n<viewer_total>6</viewer_total>\n</report_data>\n"
            "<generated>12/06/2026 10:00:00 AM</generated>\n</result>\n"
            '<signature by="convey"><digest>ab12</digest></signature>\n',
            1,
        )
    return part


def _viewer(part: str, kinds: frozenset[str], number: int) -> str:
    if "unknown_fields" in kinds:
        part = part.replace(
            "<viewer>\n",
            f'<viewer viewer_id="v-{number}">\n<engagement>\n<score>7.5</score>\n'
            "<polls_answered>2</polls_answered>\n</engagement>\n",
            1,
        )
        part = part.replace("<session>\n", '<session id="s">\n<device>Chrome 120</device>\n')
        part = part.replace("<sr ", '<sr submitted="yes" ')
        part = part.replace("<question>", '<question asked_at="00:03:12">')
    if "empty_fields" in kinds and number == 1:
        part = re.sub(r"<registration_date>[^<]*</registration_date>\n", "", part)
    if "empty_fields" in kinds:
        part = re.sub(r"<duration>\d+</duration>", "<duration/>", part)
    if "whitespace" in kinds:
        part = re.sub(r'<ra id="company">[^<]*</ra>', '<ra id="company">   </ra>', part)
        part = re.sub(r"<media>[^<]*</media>|<media/>", "<media> </media>", part)
        part = re.sub(r"<answer>[^<]*</answer>", "<answer>\n  \n</answer>", part)
    if "spaced_numbers" in kinds:
        part = re.sub(r"<duration>(\d+)</duration>", r"<duration>\n  \1 \n</duration>", part)
    return part


def _times(part: str, kinds: frozenset[str]) -> str:
    if "iso_timestamps" in kinds:
        return US_TIME.sub(lambda m: _us(m).strftime("%Y-%m-%d %H:%M:%S"), part)
    if "java_timestamps" in kinds:
        return US_TIME.sub(lambda m: _us(m).strftime("%a %b %d %H:%M:%S GMT %Y"), part)
    return part


def _us(match: re.Match[str]) -> datetime:
    return datetime.strptime(match.group(0), "%m/%d/%Y %I:%M:%S %p")
