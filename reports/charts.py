"""Charts drawn on the server as inline SVG: no JavaScript, no internet.

Each chart is decorative for screen readers (``aria-hidden``); the page puts
a table with the same numbers right after it.
"""

from django.utils.html import format_html
from django.utils.safestring import mark_safe

BAR = "#4c72b0"
HIGHLIGHT = "#dd8452"


def _fmt(template: str, *args) -> str:
    """format_html with floats rounded (format_html escapes arguments to text first)."""
    return format_html(template, *(f"{a:.1f}" if isinstance(a, float) else a for a in args))


def _svg(width: int, height: int, title: str, body) -> str:
    return _fmt(
        '<svg class="chart" viewBox="0 0 {} {}" width="100%" role="img" aria-hidden="true" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        width,
        height,
        title,
        body,
    )


def wrap_label(label: str, *, chars: int, lines: int = 2) -> list[str]:
    """A label broken at spaces into at most ``lines`` lines of about ``chars``
    characters, the last ending in "…" when the rest does not fit. SVG text does
    not wrap by itself, and a long narrative name ran off the chart's left edge
    ("utality against..."); the table under each chart gives the full label."""
    words, out, line = str(label).split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > chars:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    out.append(line)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: chars - 1].rstrip() + "…"
    return [text if len(text) <= chars else text[: chars - 1] + "…" for text in out]


def _label_text(x, y, label: str, *, chars: int, line_height: int = 13, anchor="end") -> str:
    """A wrapped label as <text> with one <tspan> a line, centred on ``y``, and the
    full label as its tooltip."""
    lines = wrap_label(label, chars=chars)
    first = y - (len(lines) - 1) * line_height / 2
    spans = "".join(
        _fmt('<tspan x="{}" y="{}">{}</tspan>', x, float(first + i * line_height), text) for i, text in enumerate(lines)
    )
    return _fmt(
        '<text font-size="12" text-anchor="{}"><title>{}</title>{}</text>',
        anchor,
        label,
        mark_safe(spans),  # noqa: S308 - spans are _fmt output
    )


def _length(value) -> int:
    """A count's bar length; a count hidden by disclosure control ("<3") or missing draws none."""
    return value if isinstance(value, int) else 0


def month_bars(
    title: str, months: list[tuple[str, int]], *, summer_year: str | None = None, summer=("06", "07", "08")
) -> str:
    """Vertical bars per month of the window; the summer of ``summer_year`` (the
    study's own year: "June to August 2015", not every June to August) shaded,
    window edges marked."""

    def in_summer(month):
        return month[:4] == summer_year and month[5:] in summer

    width, height, left, bottom, top = 760, 270, 30, 40, 32
    top_value = max([_length(n) for _, n in months] + [1])
    step = (width - left - 10) / max(len(months), 1)
    scale = (height - bottom - top) / top_value
    parts = []
    for i, (month, n) in enumerate(months):
        x = left + i * step
        if in_summer(month):
            parts.append(
                _fmt(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="#f3e3d3"/>',
                    x,
                    top,
                    step,
                    height - bottom - top,
                )
            )
        bar = _length(n) * scale
        parts.append(
            _fmt(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
                '<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>'
                '<text x="{}" y="{}" font-size="9" text-anchor="middle">{}</text>',
                x + 2,
                height - bottom - bar,
                step - 4,
                bar,
                HIGHLIGHT if in_summer(month) else BAR,
                x + step / 2,
                height - bottom - bar - 3,
                n,
                x + step / 2,
                height - bottom + 12,
                month[2:],
            )
        )
    axis = _fmt(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#333"/>'
        '<text x="{}" y="{}" font-size="10">window starts</text>'
        '<text x="{}" y="{}" font-size="10" text-anchor="end">window ends</text>'
        '<text x="{}" y="{}" font-size="10" text-anchor="end">{}</text>',
        left,
        height - bottom,
        width - 10,
        height - bottom,
        left,
        height - 8,
        width - 10,
        height - 8,
        width - 10,
        12,
        f"shaded: June to August {summer_year}" if summer_year else "",
    )
    return _svg(width, height, title, mark_safe("".join(parts) + axis))  # noqa: S308 - parts are format_html output


def horizontal_bars(title: str, rows: list[tuple[str, int]], *, colours: list[str] | None = None) -> str:
    # Two lines of about 34 characters at font size 12 fit the label column.
    width, row_height, label_width = 680, 32, 240
    height = row_height * max(len(rows), 1) + 10
    top_value = max([_length(n) for _, n in rows] + [1])
    scale = (width - label_width - 40) / top_value
    parts = [
        _label_text(label_width - 6, i * row_height + 18, label, chars=34)
        + _fmt(
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/><text x="{}" y="{}" font-size="12">{}</text>',
            label_width,
            i * row_height + 6,
            float(_length(n) * scale),
            row_height - 10,
            colours[i] if colours else BAR,
            float(label_width + _length(n) * scale + 4),
            i * row_height + 22,
            n,
        )
        for i, (label, n) in enumerate(rows)
    ]
    return _svg(width, height, title, mark_safe("".join(parts)))  # noqa: S308 - parts are _fmt output


def matrix(title: str, labels: list[str], cell, *, column_labels: list[str] | None = None) -> str:
    """A square grid shaded by count, e.g. narratives co-occurring on one defector.

    Rows carry the full labels; columns carry ``column_labels`` (short codes),
    slanted so that they fit above cells of a fixed size.
    """
    column_labels = column_labels or labels
    size, label_width, header = 46, 260, 110
    n = len(labels)
    # Room on the right for the last slanted column label.
    width, height = label_width + size * n + 100, header + size * n + 10
    values = [cell(a, b) for a in range(n) for b in range(n)]
    top_value = max([_length(v) for v in values] + [1])
    parts = []
    for a in range(n):
        parts.append(_label_text(label_width - 6, header + a * size + size / 2 + 4, labels[a], chars=38))
        x, y = label_width + a * size + size // 2, header - 8
        parts.append(
            _fmt(
                '<text x="{}" y="{}" font-size="12" transform="rotate(-40 {} {})">{}</text>',
                x,
                y,
                x,
                y,
                column_labels[a],
            )
        )
        for b in range(n):
            value = cell(a, b)
            shade = _length(value) / top_value
            parts.append(
                _fmt(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="rgb({},{},{})" stroke="#fff"/>'
                    '<text x="{}" y="{}" font-size="12" text-anchor="middle">{}</text>',
                    label_width + b * size,
                    header + a * size,
                    size,
                    size,
                    int(240 - 170 * shade),
                    int(240 - 120 * shade),
                    int(250 - 70 * shade),
                    label_width + b * size + size // 2,
                    header + a * size + 28,
                    "" if value is None else value,
                )
            )
    return _svg(width, height, title, mark_safe("".join(parts)))  # noqa: S308 - parts are format_html output
