"""Score trends as inline SVG drawn on the server: no script, no CDN, and the same markup
prints in the PDFs."""
from __future__ import annotations

from markupsafe import Markup, escape

BANDS = ((90, "#e6f4ea"), (80, "#eef6ff"), (60, "#fff8e1"), (0, "#fdecea"))  # A, B, C, D


def trend_svg(points: list[tuple[str, int | None]], width: int = 560, height: int = 180, label: str = "") -> Markup:
    """A 0–100 line chart of monthly totals (hundredths); gaps where a month has no score."""
    left, right, top, bottom = 30, 22, 10, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(points) - 1, 1)

    def y(value: float) -> float:
        return top + plot_h * (1 - value / 100)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="trend" viewBox="0 0 {width} {height}" '
             f'width="100%" style="max-width:{width}px;height:auto" role="img" aria-label="{escape(label)}">']
    upper = 100
    for bound, colour in BANDS:
        parts.append(f'<rect x="{left}" y="{y(upper):.1f}" width="{plot_w}" height="{y(bound) - y(upper):.1f}" fill="{colour}"/>')
        parts.append(f'<text x="{left - 4}" y="{y(bound) + 4:.1f}" font-size="10" text-anchor="end">{bound}</text>')
        upper = bound
    segment: list[str] = []
    segments = []
    for index, (month, total) in enumerate(points):
        x = left + index * step
        if (len(points) - 1 - index) % max(len(points) // 6, 1) == 0:  # every other month, back from the last
            anchor = "end" if index == len(points) - 1 else "middle"
            parts.append(f'<text x="{x:.1f}" y="{height - 6}" font-size="10" text-anchor="{anchor}">{escape(month[2:])}</text>')
        if total is None:
            segments.append(segment)
            segment = []
            continue
        segment.append(f"{x:.1f},{y(total / 100):.1f}")
        parts.append(f'<circle cx="{x:.1f}" cy="{y(total / 100):.1f}" r="2.5" fill="#0b6e4f">'
                     f'<title>{escape(month)}: {total // 100}.{total % 100:02d}</title></circle>')
    segments.append(segment)
    for seg in segments:
        if len(seg) > 1:
            parts.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="#0b6e4f" stroke-width="2"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def sparkline(points: list[tuple[str, int | None]], width: int = 120, height: int = 28) -> Markup:
    """A small trend for a table cell."""
    known = [(i, t) for i, (_, t) in enumerate(points) if t is not None]
    if not known:
        return Markup("")
    step = (width - 4) / max(len(points) - 1, 1)
    coords = " ".join(f"{2 + i * step:.1f},{2 + (height - 4) * (1 - t / 10000):.1f}" for i, t in known)
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" class="spark" viewBox="0 0 {width} {height}" '
                  f'width="{width}" height="{height}" aria-hidden="true">'
                  f'<polyline points="{coords}" fill="none" stroke="#0b6e4f" stroke-width="1.5"/></svg>')
