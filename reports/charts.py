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


def _length(value) -> int:
    """A count's bar length; a count hidden by disclosure control ("<3") or missing draws none."""
    return value if isinstance(value, int) else 0


def month_bars(title: str, months: list[tuple[str, int]], *, summer=("06", "07", "08")) -> str:
    """Vertical bars per month of the window; summer months shaded, window edges marked."""
    width, height, left, bottom, top = 760, 270, 30, 40, 32
    top_value = max([_length(n) for _, n in months] + [1])
    step = (width - left - 10) / max(len(months), 1)
    scale = (height - bottom - top) / top_value
    parts = []
    for i, (month, n) in enumerate(months):
        x = left + i * step
        if month[5:] in summer:
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
                HIGHLIGHT if month[5:] in summer else BAR,
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
        '<text x="{}" y="{}" font-size="10" text-anchor="end">shaded: June to August</text>',
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
    )
    return _svg(width, height, title, mark_safe("".join(parts) + axis))  # noqa: S308 - parts are format_html output


def horizontal_bars(title: str, rows: list[tuple[str, int]], *, colours: list[str] | None = None) -> str:
    width, row_height, label_width = 640, 22, 190
    height = row_height * max(len(rows), 1) + 10
    top_value = max([_length(n) for _, n in rows] + [1])
    scale = (width - label_width - 40) / top_value
    parts = [
        _fmt(
            '<text x="{}" y="{}" font-size="12" text-anchor="end">{}</text>'
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
            '<text x="{}" y="{}" font-size="12">{}</text>',
            label_width - 6,
            i * row_height + 16,
            label,
            label_width,
            i * row_height + 4,
            float(_length(n) * scale),
            row_height - 6,
            colours[i] if colours else BAR,
            float(label_width + _length(n) * scale + 4),
            i * row_height + 16,
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
        parts.append(
            _fmt(
                '<text x="{}" y="{}" font-size="12" text-anchor="end">{}</text>',
                label_width - 6,
                header + a * size + 28,
                labels[a],
            )
        )
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
