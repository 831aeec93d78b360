"""Plots drawn on the server as SVG markup: horizontal bars (one or two series per row)
and weekly columns. Colours come from the console's style sheet, so no inline style."""

from collections.abc import Callable, Sequence
from html import escape

from markupsafe import Markup

ROW = 22
LABEL_WIDTH = 110
BAR_WIDTH = 420
VALUE_WIDTH = 90


def _scale(values: Sequence[float]) -> float:
    top = max(values, default=0.0)
    return BAR_WIDTH / top if top > 0 else 0.0


def bars(
    title: str,
    rows: Sequence[tuple[str, Sequence[float | None]]],
    series: Sequence[str],
    label: Callable[[float], str] = lambda v: f"{v:g}",
) -> Markup:
    """One group of bars per row (e.g. p50 and p90 of a country), longest bar = largest value."""
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    group = ROW * len(series) + 8
    legend = 24
    height = legend + group * max(len(rows), 1)
    known = [v for _, values in rows for v in values if v is not None]
    scale = _scale(known)
    parts = [
        f'<svg class="plot" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for index, name in enumerate(series):
        x = LABEL_WIDTH + index * 120
        parts.append(
            f'<rect class="s{index}" x="{x}" y="4" width="12" height="12"/>'
            f'<text x="{x + 18}" y="14">{escape(name)}</text>'
        )
    if not rows:
        parts.append(f'<text x="{LABEL_WIDTH}" y="{legend + 14}">no data yet</text>')
    for row, (name, values) in enumerate(rows):
        top = legend + row * group
        parts.append(
            f'<text class="label" x="{LABEL_WIDTH - 8}" y="{top + ROW * len(series) / 2 + 4}" '
            f'text-anchor="end">{escape(name)}</text>'
        )
        for index, value in enumerate(values):
            y = top + index * ROW
            if value is None:
                parts.append(f'<text x="{LABEL_WIDTH}" y="{y + 15}">–</text>')
                continue
            length = max(value * scale, 1.0)
            parts.append(
                f'<rect class="bar s{index}" x="{LABEL_WIDTH}" y="{y + 2}" '
                f'width="{length:.1f}" height="{ROW - 6}"><title>{escape(name)} '
                f"{escape(series[index])}: {escape(label(value))}</title></rect>"
                f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 15}">{escape(label(value))}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every value above is escaped)


def columns(title: str, rows: Sequence[tuple[str, int]]) -> Markup:
    """One column per row (e.g. reports per week), labelled below and counted above."""
    step = 48
    chart = 200
    width = max(len(rows), 1) * step + 20
    height = chart + 50
    scale = chart / max((v for _, v in rows), default=0) if any(v for _, v in rows) else 0.0
    parts = [
        f'<svg class="plot" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for index, (name, value) in enumerate(rows):
        x = 10 + index * step
        bar = value * scale
        base = 20 + chart
        parts.append(
            f'<rect class="bar s0" x="{x + 6}" y="{base - bar:.1f}" width="{step - 12}" '
            f'height="{bar:.1f}"><title>{escape(name)}: {value}</title></rect>'
            f'<text x="{x + step / 2}" y="{base - bar - 4:.1f}" text-anchor="middle">{value}</text>'
            f'<text class="label" x="{x + step / 2}" y="{base + 16}" '
            f'text-anchor="middle">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every value above is escaped)


def duration(seconds: float) -> str:
    """A duration as a person reads it: 45 s, 12 min, 5.5 h, 3.2 d."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
