"""The report as text, Markdown, CSV and JSON: one renderer for the command,
the downloads and the API, fed by selectors.study_report."""

import csv
import io
import json

CSV_COLUMNS = [
    "table",
    "key",
    "computed",
    "published",
    "qualifier",
    "verdict",
    "reason",
    "published_wording",
    "source",
    "source_url",
    "status",
]


def as_json(report: dict) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def _value(figure: dict, field: str) -> str:
    value = figure[field]
    if value is None:
        return "\u2013"
    if figure["kind"] == "share":
        return f"{value * 100:.1f}%"
    return str(value)


def csv_rows(report: dict):
    """Long form: the figures, then every table cell as (table, key, computed)."""
    yield CSV_COLUMNS
    for figure in report["figures"]:
        yield [
            "figures",
            figure["key"],
            "" if figure["computed"] is None else figure["computed"],
            figure["published"],
            figure["qualifier"],
            figure["verdict"],
            figure["reason"],
            figure["published_wording"],
            figure["source"],
            figure["source_url"],
            figure["status"],
        ]
    for table, cells in report["tables"].items():
        for key, value in cells.items():
            if isinstance(value, dict):
                for column, count in value.items():
                    yield [table, f"{key}:{column}", count, *[""] * 8]
            else:
                yield [table, key, value, *[""] * 8]


def as_csv(report: dict) -> str:
    """The long form as CSV. A text cell a spreadsheet would read as a formula
    gets a leading ' (testimony/imports/cells.py); numbers are written as numbers."""
    from testimony.imports.cells import protect_formula

    out = io.StringIO()
    rows = csv_rows(report)
    csv.writer(out).writerows([protect_formula(c) if isinstance(c, str) else c for c in row] for row in rows)
    return out.getvalue()


def _simple_tables(report: dict):
    tables = report["tables"]
    yield "Defectors by sex", tables["by_sex"]
    yield "Defectors by country", {f"{c['code']} {c['name']}": c["defectors"] for c in report["countries"]}
    yield "Defectors by month", tables["by_month"]
    yield "Defectors by year", tables["by_year"]
    yield "Defectors by period", {k: v["defectors"] for k, v in tables["by_period"].items()}
    yield "Defectors by region", tables["by_region"]
    yield (
        "Narratives (defectors / quotes)",
        {k: f"{v['defectors']} / {v['quotes']}" for k, v in tables["by_narrative"].items()},
    )
    yield "Narrative pairs (defectors with both)", tables["narrative_pairs"]


def as_text(report: dict) -> str:
    lines = [
        f"{report['title']} ({report['study']})",
        f"Window {report['window']['start']} to {report['window']['end']}; {report['scope']['rule']}.",
        "",
        f"{'figure':45} {'computed':>9} {'published':>10}  verdict",
    ]
    for f in report["figures"]:
        lines.append(f"{f['key']:45} {_value(f, 'computed'):>9} {_value(f, 'published'):>10}  {f['verdict']}")
        lines.append(f"{'':45} {f['reason']}")
    for title, cells in _simple_tables(report):
        lines += ["", title]
        lines += [f"  {key:40} {value}" for key, value in cells.items()]
    return "\n".join(lines) + "\n"


def _md(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def as_markdown(report: dict) -> str:
    lines = [
        f"# {report['title']}",
        "",
        f"Study `{report['study']}`, window {report['window']['start']} to {report['window']['end']} "
        f"({report['scope']['rule']}).",
        "",
        "## Published and computed figures",
        "",
        "| figure | computed | published | wording | source | verdict | reason |",
        "|---|---:|---:|---|---|---|---|",
    ]
    for f in report["figures"]:
        lines.append(
            f"| {f['key']} | {_value(f, 'computed')} | {_value(f, 'published')} | {_md(f['published_wording'])} "
            f"| {_md(f['source'])} | {f['verdict']} | {_md(f['reason'])} |"
        )
    for title, cells in _simple_tables(report):
        lines += ["", f"## {title}", "", "| | defectors |", "|---|---:|"]
        lines += [f"| {_md(key)} | {value} |" for key, value in cells.items()]
    return "\n".join(lines) + "\n"


RENDERERS = {"text": as_text, "json": as_json, "csv": as_csv, "markdown": as_markdown}
