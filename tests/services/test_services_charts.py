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


def test_many_bars_name_every_few_months_and_leave_values_to_the_tooltips() -> None:
    months = [Bar(f"M{i:02d} 26", 90.0 + i / 10, "ok", f"{90 + i / 10:.2f} %") for i in range(24)]
    crowded = str(bar_chart(months, title="Two years", description="24 months"))
    roomy = str(bar_chart(months[:6], title="Half a year", description="6 months"))

    # Six bars: every month named and every value written over its bar.
    assert all(f">M{i:02d} 26<" in roomy for i in range(6))
    assert ">90.50 %<" in roomy
    # Twenty-four bars: labels thinned out so they cannot overlap, the first one kept; the
    # values stay in each bar's tooltip.
    named = [i for i in range(24) if f">M{i:02d} 26<" in crowded]
    assert named[0] == 0 and 2 <= len(named) < 24
    assert ">90.50 %<" not in crowded and "<title>M05 26: 90.50 %</title>" in crowded
