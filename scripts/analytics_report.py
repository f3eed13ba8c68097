"""One self-contained HTML page from the analytics package's `webinar_event_funnel` model.

    .venv/bin/python scripts/analytics_report.py --url postgresql://... --schema analytics \
        --output analytics-report.html

Per platform, the registration -> attendance -> engagement funnel (events summed), and the
top events by attendance rate. Inline SVG and CSS only: no JavaScript, no network. `render`
takes the model's rows (mappings with its column names) and returns the page; the CLI reads
them from PostgreSQL (psycopg) and prints the path it wrote.
"""

from __future__ import annotations

import argparse
import html
import typing as t
from pathlib import Path

PLATFORM_NAMES = {
    "on24": "ON24",
    "webinarfuel": "WebinarFuel",
    "webcasts": "Webcasts.com",
    "cvent": "Cvent",
    "zoom": "Zoom Webinars",
    "goto": "GoTo Webinar",
}
STAGES = (  # (data-stage, label, the model's column, colour)
    ("registered", "Registered", "registrants", "#4C78A8"),
    ("attended", "Attended", "attendees", "#59A14F"),
    ("engaged", "Engaged", "engaged_viewers", "#E15759"),
)
BAR_WIDTH = 420

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
       margin: 32px auto; max-width: 1080px; padding: 0 24px; background: #fafafa; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 12px; }
p.note { color: #666; margin: 0 0 16px; }
.grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
.card { background: #fff; border: 1px solid #e3e3e3; border-radius: 8px; padding: 16px; }
.card h3 { margin: 0 0 8px; font-size: 16px; }
.card .sub { color: #666; font-size: 12px; margin-bottom: 8px; }
svg text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid #e3e3e3; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #eee; }
th { background: #f3f3f3; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
"""


def _number(row: t.Mapping[str, t.Any], column: str) -> int:
    return int(row.get(column) or 0)


def _platforms(rows: t.Sequence[t.Mapping[str, t.Any]]) -> list[str]:
    return sorted({str(r["platform"]) for r in rows}, key=lambda p: PLATFORM_NAMES.get(p, p))


def funnel_card(platform: str, rows: t.Sequence[t.Mapping[str, t.Any]]) -> str:
    """The funnel of one platform: three bars, each as wide as its share of registrants."""
    totals = {stage: sum(_number(r, column) for r in rows) for stage, _, column, _ in STAGES}
    top = max(totals["registered"], 1)
    live = sum(_number(r, "live_attendees") for r in rows)
    on_demand = sum(_number(r, "on_demand_attendees") for r in rows)
    no_shows = sum(_number(r, "no_shows") for r in rows)
    bars = []
    for index, (stage, label, _, colour) in enumerate(STAGES):
        value = totals[stage]
        width = round(BAR_WIDTH * value / top, 1)
        share = f"{value / top:.0%}" if totals["registered"] else "n/a"
        y = 8 + index * 44
        bars.append(
            f'<g data-platform="{html.escape(platform)}" data-stage="{stage}" '
            f'data-value="{value}">'
            f'<text x="0" y="{y + 19}">{label}</text>'
            f'<rect x="80" y="{y}" width="{BAR_WIDTH}" height="28" rx="4" fill="#eef0f3"/>'
            f'<rect x="80" y="{y}" width="{width}" height="28" rx="4" fill="{colour}"/>'
            f'<text x="{80 + BAR_WIDTH + 8}" y="{y + 19}" font-weight="600">{value:,}</text>'
            f'<text x="{80 + BAR_WIDTH + 56}" y="{y + 19}" fill="#666">{share}</text>'
            "</g>"
        )
    name = html.escape(PLATFORM_NAMES.get(platform, platform))
    return (
        f'<div class="card"><h3>{name}</h3>'
        f'<div class="sub">{len(rows)} events · {live:,} live · {on_demand:,} on demand · '
        f"{no_shows:,} no-shows</div>"
        f'<svg width="100%" viewBox="0 0 {80 + BAR_WIDTH + 100} 140" role="img" '
        f'aria-label="{name} funnel">{"".join(bars)}</svg></div>'
    )


def top_events(rows: t.Sequence[t.Mapping[str, t.Any]], top: int) -> list[t.Mapping[str, t.Any]]:
    """Events with registrants, best attendance rate first (then most registrants)."""
    ranked = [r for r in rows if r.get("attendance_rate") is not None]
    ranked.sort(key=lambda r: (str(r["platform"]), str(r["event_id"])))
    ranked.sort(key=lambda r: (-float(r["attendance_rate"]), -_number(r, "registrants")))
    return ranked[:top]


def top_table(rows: t.Sequence[t.Mapping[str, t.Any]], top: int) -> str:
    """The top events by attendance rate, each with an inline bar."""
    lines = []
    for row in top_events(rows, top):
        rate = float(row["attendance_rate"])
        platform, event_id = str(row["platform"]), str(row["event_id"])
        title = html.escape(str(row.get("title") or event_id))
        minutes = row.get("median_viewing_minutes")
        lines.append(
            f'<tr data-top-event="{html.escape(platform)}/{html.escape(event_id)}" '
            f'data-rate="{rate:.4f}">'
            f"<td>{html.escape(PLATFORM_NAMES.get(platform, platform))}</td>"
            f"<td>{title}</td>"
            f'<td class="num">{_number(row, "registrants"):,}</td>'
            f'<td class="num">{_number(row, "attendees"):,}</td>'
            f'<td><svg width="160" height="14" role="img" aria-label="{rate:.0%}">'
            f'<rect width="160" height="14" rx="3" fill="#eef0f3"/>'
            f'<rect width="{round(160 * min(rate, 1.0), 1)}" height="14" rx="3" fill="#59A14F"/>'
            f"</svg> {rate:.0%}</td>"
            f'<td class="num">{"n/a" if minutes is None else f"{float(minutes):.1f}"}</td>'
            f'<td class="num">{_number(row, "engaged_viewers"):,}</td>'
            "</tr>"
        )
    return (
        "<table><thead><tr><th>Platform</th><th>Event</th><th>Registered</th>"
        "<th>Attended</th><th>Attendance rate</th><th>Median minutes</th><th>Engaged</th>"
        f"</tr></thead><tbody>{''.join(lines)}</tbody></table>"
    )


def render(
    rows: t.Iterable[t.Mapping[str, t.Any]], *, top: int = 10, title: str = "Webinar analytics"
) -> str:
    """The report page for the `webinar_event_funnel` rows *rows*."""
    rows = list(rows)
    cards = "".join(
        funnel_card(p, [r for r in rows if r["platform"] == p]) for p in _platforms(rows)
    )
    registrants = sum(_number(r, "registrants") for r in rows)
    attendees = sum(_number(r, "attendees") for r in rows)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="note">{len(rows)} events on {len(_platforms(rows))} platforms · '
        f"{registrants:,} registrations · {attendees:,} attended. From the dbt model "
        "webinar_event_funnel (tap_webinars_analytics).</p>"
        "<h2>Registration → attendance → engagement</h2>"
        '<p class="note">Attended: attended or viewed (live, simulated live or on demand). '
        "Engaged: attended and asked a question, answered a survey or poll, or scored above "
        "the engagement threshold. Percentages are of registrants.</p>"
        f'<div class="grid">{cards}</div>'
        f"<h2>Top {top} events by attendance rate</h2>{top_table(rows, top)}"
        "</body></html>\n"
    )


def read_funnel(url: str, schema: str) -> list[dict[str, t.Any]]:
    """The rows of `<schema>.webinar_event_funnel` in the PostgreSQL at *url*."""
    import psycopg  # noqa: PLC0415 - only the CLI needs a database driver
    from psycopg import sql  # noqa: PLC0415

    with psycopg.connect(url) as connection:
        cursor = connection.execute(
            sql.SQL("select * from {}.webinar_event_funnel").format(sql.Identifier(schema))
        )
        names = [c.name for c in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def write_report(url: str, schema: str, output: Path, top: int = 10) -> Path:
    """Read the model and write the page; returns its path."""
    output.write_text(render(read_funnel(url, schema), top=top), encoding="utf-8")
    return output


def main() -> None:
    """CLI: read the model from PostgreSQL, write the page, print its path."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="PostgreSQL URL (postgresql://...)")
    parser.add_argument("--schema", default="analytics", help="the dbt models' schema")
    parser.add_argument("--output", type=Path, default=Path("analytics-report.html"))
    parser.add_argument("--top", type=int, default=10)
    options = parser.parse_args()
    path = write_report(options.url, options.schema, options.output, options.top)
    print(path.resolve())


if __name__ == "__main__":
    main()
