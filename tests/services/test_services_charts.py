"""Server-side SVG charts: accessible, CSP-safe, and saying status in words as well as colour."""

from __future__ import annotations

from openitsms.lib.svgcharts import Bar, bar_chart


def test_a_bar_chart_is_an_accessible_image_without_styles_or_scripts() -> None:
    svg = str(
        bar_chart(
            [
                Bar("Jan", 99.9, "ok", "99.9 %", "met"),
                Bar("Feb", 97.1, "bad", "97.1 %", "missed"),
                Bar("Mar", None),
            ],
            title="Availability <of> “portal”",
            description="Jan met, Feb missed",
            y_min=96,
            y_max=100,
            reference=99.5,
            unit=" %",
        )
    )
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"')
    assert "aria-labelledby=" in svg and "Availability &lt;of&gt; “portal”" in svg
    assert "style=" not in svg and "<script" not in svg and "on" + "click" not in svg
    assert ">missed<" in svg and ">met<" in svg and ">no data<" in svg
    assert "target 99.5 %" in svg
    assert svg.count("<rect") == 2  # no bar for the month without data
