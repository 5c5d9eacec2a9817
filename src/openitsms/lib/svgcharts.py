"""Server-side SVG charts: one code path for pages and, later, PDF reports.

Charts are plain SVG strings with presentation attributes only (no ``style`` attributes, no
scripts), so they pass the strict Content Security Policy and render the same in WeasyPrint.
Each chart is an image with a title and a description for screen readers (``role="img"``,
``aria-labelledby``); pages still show the numbers in a table beside it, because a picture
is not an accessible substitute for the data. Status is told by colour *and* by text (a
label on each bar).

The building blocks (:class:`Svg`) are also used by topic charts elsewhere, such as the
business-calendar week picture in ``services/charts.py``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

# Colours that keep a contrast of at least 3:1 against white for shapes (WCAG 1.4.11).
COLOURS = {
    "ok": "#1e6b3a",
    "bad": "#9b1c1c",
    "neutral": "#2f7a8f",
    "warn": "#7a5300",
    "ink": "#1d2a30",
    "muted": "#5b6b73",
    "grid": "#d9e1e5",
    "fill": "#dbe7ec",
    "paper": "#ffffff",
}
FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"
_ids = itertools.count(1)


def _number(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


class Svg:
    """A tiny SVG writer: elements are appended as escaped markup."""

    def __init__(self, width: float, height: float, *, title: str, description: str) -> None:
        self.width = width
        self.height = height
        self.uid = f"chart{next(_ids)}"
        self.parts: list[str] = []
        self.defs: list[str] = []
        self.title = title
        self.description = description

    @staticmethod
    def attributes(**attributes: object) -> str:
        pairs = []
        for name, value in attributes.items():
            if value is None:
                continue
            key = name.rstrip("_").replace("_", "-")
            text = _number(value) if isinstance(value, float) else str(value)
            pairs.append(f'{key}="{escape(text)}"')
        return " ".join(pairs)

    def element(
        self,
        tag: str,
        attributes: dict[str, object],
        *,
        text: str | None = None,
        tooltip: str | None = None,
    ) -> None:
        """An element; ``tooltip`` becomes its ``<title>`` (shown on hover)."""
        inner = ""
        if tooltip:
            inner += f"<title>{escape(tooltip)}</title>"
        if text is not None:
            inner += escape(text)
        open_tag = f"<{tag} {self.attributes(**attributes)}".rstrip()
        self.parts.append(f"{open_tag}>{inner}</{tag}>" if inner else f"{open_tag}/>")

    def rect(
        self,
        x: float,
        y: float,
        width: float,
        height: float,
        *,
        tooltip: str | None = None,
        **attrs: object,
    ) -> None:
        box: dict[str, object] = {"x": float(x), "y": float(y)}
        box.update(width=float(max(width, 0.0)), height=float(max(height, 0.0)))
        self.element("rect", {**box, **attrs}, tooltip=tooltip)

    def line(self, x1: float, y1: float, x2: float, y2: float, **attrs: object) -> None:
        ends: dict[str, object] = {
            "x1": float(x1),
            "y1": float(y1),
            "x2": float(x2),
            "y2": float(y2),
        }
        self.element("line", {**ends, **attrs})

    def text(self, x: float, y: float, content: str, *, size: float = 12, **attrs: object) -> None:
        attrs.setdefault("fill", COLOURS["ink"])
        place: dict[str, object] = {"x": float(x), "y": float(y)}
        place.update(font_size=float(size), font_family=FONT)
        self.element("text", {**place, **attrs}, text=content)

    def hatch(self, name: str, colour: str) -> str:
        """A diagonal-stripes pattern; returns the ``fill`` value that uses it."""
        pattern_id = f"{self.uid}-{name}"
        self.defs.append(
            f'<pattern id="{pattern_id}" width="8" height="8" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="8" height="8" fill="{COLOURS["paper"]}"/>'
            f'<line x1="0" y1="0" x2="0" y2="8" stroke="{escape(colour)}" stroke-width="3"/>'
            "</pattern>"
        )
        return f"url(#{pattern_id})"

    def render(self) -> SafeString:
        title_id, desc_id = f"{self.uid}-title", f"{self.uid}-desc"
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {_number(self.width)} {_number(self.height)}" '
            f'width="{_number(self.width)}" height="{_number(self.height)}" '
            f'aria-labelledby="{title_id} {desc_id}">'
            f'<title id="{title_id}">{escape(self.title)}</title>'
            f'<desc id="{desc_id}">{escape(self.description)}</desc>'
        )
        defs = f"<defs>{''.join(self.defs)}</defs>" if self.defs else ""
        return mark_safe(head + defs + "".join(self.parts) + "</svg>")  # noqa: S308 - escaped above


@dataclass(frozen=True)
class Bar:
    """One bar: ``value`` ``None`` means no data for it (drawn as a label, not as zero).

    ``status`` picks the colour: ``ok``, ``bad``, ``neutral`` or ``warn``; ``note`` is the
    short text printed with it (e.g. "missed"), so status never relies on colour alone.
    """

    label: str
    value: float | None
    status: str = "neutral"
    value_label: str = ""
    note: str = ""


# Rough width of one character of an 11 px label in the system sans-serif fonts.
_CHAR_W = 6.2


def nice_floor(value: float, step: float) -> float:
    return math.floor(value / step) * step


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    description: str,
    y_min: float = 0.0,
    y_max: float | None = None,
    reference: float | None = None,
    reference_label: str = "",
    unit: str = "",
    width: float = 680,
    height: float = 280,
) -> SafeString:
    """Vertical bars with an optional reference line (a target), value labels and notes."""
    left, right, top, bottom = 52.0, 12.0, 40.0, 58.0
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [bar.value for bar in bars if bar.value is not None]
    top_value = y_max if y_max is not None else max([*values, reference or 0, y_min + 1])
    span = max(top_value - y_min, 1e-9)
    svg = Svg(width, height, title=title, description=description)

    def y_of(value: float) -> float:
        return top + plot_h * (1 - (min(max(value, y_min), top_value) - y_min) / span)

    for step in range(5):
        value = y_min + span * step / 4
        y = y_of(value)
        svg.line(left, y, width - right, y, stroke=COLOURS["grid"], stroke_width=1)
        svg.text(
            left - 6, y + 4, f"{value:g}{unit}", size=11, text_anchor="end", fill=COLOURS["muted"]
        )
    slot = plot_w / max(len(bars), 1)
    bar_w = min(slot * 0.64, 48)
    # With many bars, labels that would overlap are thinned out (every n-th month is named)
    # and value labels that do not fit over their bar are left to the tooltip and the table
    # that every page shows beside its charts.
    label_every = max(
        1, math.ceil((max((len(bar.label) for bar in bars), default=0) * _CHAR_W + 6) / slot)
    )
    value_fits = (
        max(
            (len(bar.value_label or f"{bar.value:g}") for bar in bars if bar.value is not None),
            default=0,
        )
        * _CHAR_W
        * 0.9
        <= slot
    )
    for index, bar in enumerate(bars):
        centre = left + slot * index + slot / 2
        named = index % label_every == 0
        if named:
            svg.text(centre, height - bottom + 16, bar.label, size=11, text_anchor="middle")
        if bar.note and named:
            svg.text(
                centre,
                height - bottom + 31,
                bar.note,
                size=10,
                text_anchor="middle",
                fill=COLOURS.get(bar.status, COLOURS["ink"]),
                font_weight="600",
            )
        if bar.value is None:
            svg.text(
                centre,
                top + plot_h - 6,
                "no data" if slot >= 7 * _CHAR_W * 0.9 else "–",
                size=10,
                text_anchor="middle",
                fill=COLOURS["muted"],
            )
            continue
        y = y_of(bar.value)
        tooltip = f"{bar.label}: {bar.value_label or bar.value}"
        svg.rect(
            centre - bar_w / 2,
            y,
            bar_w,
            top + plot_h - y,
            fill=COLOURS.get(bar.status, COLOURS["neutral"]),
            tooltip=tooltip,
        )
        if value_fits:
            svg.text(
                centre, y - 4, bar.value_label or f"{bar.value:g}", size=10, text_anchor="middle"
            )
    svg.line(
        left, top + plot_h, width - right, top + plot_h, stroke=COLOURS["muted"], stroke_width=1
    )
    if reference is not None:
        y = y_of(reference)
        svg.line(
            left,
            y,
            width - right,
            y,
            stroke=COLOURS["warn"],
            stroke_width=2,
            stroke_dasharray="6 4",
        )
        svg.text(
            width - right,
            top - 24,
            reference_label or f"target {reference:g}{unit}",
            size=11,
            text_anchor="end",
            fill=COLOURS["warn"],
            font_weight="600",
        )
    return svg.render()
