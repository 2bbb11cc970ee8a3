"""Geometry of the HTML report's two small figures: the timeline and a disputed figure's chart.

Pure arithmetic over dates and numbers; the template draws the shapes as inline SVG. Dates
are the ISO partial dates of the models ("2024", "2024-10", "2024-10-18"), placed at their
first day; a figure is drawn where its source says it held (`Quantity.as_of`), else where
the article was published, and in a band of its own when neither is known.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from summarizer.models import Disagreement, LedgerEntry

# Colours of the sources in a chart (CSS classes `series-0` ...), cycled past the last.
SERIES_COLOURS = 8

_TIMELINE_WIDTH = 640
_TIMELINE_AXIS = 104.0
_TIMELINE_DOTS = 126.0
_TIMELINE_STEP = 26.0
_TIMELINE_GAP = 6.0
_MARGIN = 24.0
# Tick labels closer than this would overlap; the later one is left out.
_LABEL_GAP = 84.0

_CHART_WIDTH = 480
_CHART_HEIGHT = 220
_PLOT_LEFT = 72.0
_PLOT_TOP = 12.0
_PLOT_BOTTOM = 180.0
_UNDATED_BAND = 64.0
_DODGE = 9.0


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Dot:
    """An event on the timeline: its number in the event list beside the figure."""

    x: float
    y: float
    number: int
    title: str


@dataclass(frozen=True)
class TimelineFigure:
    """`ticks` are the rows' dates, at their height on the vertical axis."""

    width: int
    height: int
    axis_x: float
    ticks: list[Tick]
    dots: list[Dot]


@dataclass(frozen=True)
class TimelineItem:
    number: int
    date: str
    title: str


@dataclass(frozen=True)
class Mark:
    """One source's figure: a dot at its value, a bar from its low to its high, or both."""

    x: float
    series: int
    title: str
    value_y: float | None
    bar_top: float | None
    bar_bottom: float | None


@dataclass(frozen=True)
class LegendItem:
    series: int
    source: int
    outlet: str


@dataclass(frozen=True)
class SlotChart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    undated_x: float | None
    marks: list[Mark]
    legend: list[LegendItem]
    left_out: list[int]


def partial_date(text: str | None) -> dt.date | None:
    """The first day of an ISO partial date; None when absent or not a real date."""
    try:
        year, month, day = [*(int(part) for part in (text or "").split("-")), 1, 1][:3]
        return dt.date(year, month, day)
    except ValueError:
        return None


def timeline_figure(items: Sequence[TimelineItem]) -> TimelineFigure | None:
    """Dated events down a time axis, a row a date, in date order; None when none is dated.

    Rows are evenly spaced whatever the time between them, so that a stray year among
    the days of one week does not squeeze those days into one point.
    """
    by_day: dict[dt.date, list[TimelineItem]] = {}
    labels: dict[dt.date, str] = {}
    for item in items:
        day = partial_date(item.date)
        if day is not None:
            by_day.setdefault(day, []).append(item)
            labels.setdefault(day, item.date)
    if not by_day:
        return None
    per_line = int((_TIMELINE_WIDTH - _TIMELINE_DOTS - _MARGIN) // _TIMELINE_STEP) + 1
    ticks: list[Tick] = []
    dots: list[Dot] = []
    y = _TIMELINE_STEP
    for day in sorted(by_day):
        ticks.append(Tick(y, labels[day]))
        for index, item in enumerate(by_day[day]):
            line, place = divmod(index, per_line)
            dots.append(
                Dot(
                    x=_TIMELINE_DOTS + _TIMELINE_STEP * place,
                    y=y + _TIMELINE_STEP * line,
                    number=item.number,
                    title=f"{item.number}. {item.date}: {item.title}",
                )
            )
        y += _TIMELINE_STEP * (1 + (len(by_day[day]) - 1) // per_line) + _TIMELINE_GAP
    return TimelineFigure(
        width=_TIMELINE_WIDTH,
        height=int(y - _TIMELINE_GAP + _TIMELINE_STEP / 2),
        axis_x=_TIMELINE_AXIS,
        ticks=ticks,
        dots=dots,
    )


def slot_chart(disagreement: Disagreement) -> SlotChart | None:
    """Each source's figure for the slot over time; None when no entry has a number."""
    numbered = [entry for entry in disagreement.entries if _numbers(entry)]
    if not numbered:
        return None
    series: dict[int, int] = {}
    legend: list[LegendItem] = []
    for entry in numbered:
        if entry.source not in series:
            series[entry.source] = len(series) % SERIES_COLOURS
            legend.append(LegendItem(series[entry.source], entry.source, entry.outlet))
    y_ticks, y_of = _value_scale([n for entry in numbered for n in _numbers(entry)])
    dated = [(entry, _when(entry)) for entry in numbered]
    days = sorted({day for _, day in dated if day is not None})
    undated = any(day is None for _, day in dated)
    right = _CHART_WIDTH - _MARGIN
    plot_right = right - _UNDATED_BAND if undated else right
    x_of = _time_scale(days, _PLOT_LEFT + _MARGIN, plot_right - _MARGIN)
    undated_x = (plot_right + right) / 2 if undated else None
    columns: dict[float, list[LedgerEntry]] = {}
    for entry, day in dated:
        x = x_of(day) if day is not None else undated_x
        assert x is not None
        columns.setdefault(x, []).append(entry)
    marks = [
        _mark(entry, x + _DODGE * (index - (len(column) - 1) / 2), series[entry.source], y_of)
        for x, column in columns.items()
        for index, entry in enumerate(column)
    ]
    labels = {day: _when_label(entry) for entry, day in reversed(dated) if day is not None}
    return SlotChart(
        width=_CHART_WIDTH,
        height=_CHART_HEIGHT,
        plot_left=_PLOT_LEFT,
        plot_right=right,
        plot_top=_PLOT_TOP,
        plot_bottom=_PLOT_BOTTOM,
        x_ticks=_thinned([Tick(x_of(day), labels[day]) for day in days]),
        y_ticks=y_ticks,
        undated_x=undated_x,
        marks=marks,
        legend=legend,
        left_out=sorted({e.source for e in disagreement.entries if not _numbers(e)}),
    )


def _numbers(entry: LedgerEntry) -> list[float]:
    figure = entry.quantity
    values = (figure.value, figure.low, figure.high)
    return [value for value in values if value is not None and math.isfinite(value)]


def _when(entry: LedgerEntry) -> dt.date | None:
    return partial_date(entry.quantity.as_of) or entry.published


def _when_label(entry: LedgerEntry) -> str:
    as_of = entry.quantity.as_of
    if as_of and partial_date(as_of) is not None:
        return as_of
    return entry.published.isoformat() if entry.published else "undated"


def _mark(entry: LedgerEntry, x: float, series: int, y_of: _Scale) -> Mark:
    figure = entry.quantity
    value, low, high = (
        number if number is not None and math.isfinite(number) else None
        for number in (figure.value, figure.low, figure.high)
    )
    bar_top = bar_bottom = None
    if low is not None and high is not None:
        bar_top, bar_bottom = y_of(max(low, high)), y_of(min(low, high))
    elif value is None:
        # "at least 300" or "up to 400": the one bound there is, as a dot.
        value = low if low is not None else high
    return Mark(
        x=x,
        series=series,
        title=f"[{entry.source}] {entry.outlet}: {figure.text} ({_when_label(entry)})",
        value_y=y_of(value) if value is not None else None,
        bar_top=bar_top,
        bar_bottom=bar_bottom,
    )


class _Scale:
    """A linear map from a domain to pixel positions."""

    def __init__(self, low: float, high: float, start: float, end: float) -> None:
        self._low, self._high, self._start, self._end = low, high, start, end

    def __call__(self, value: float) -> float:
        if self._high == self._low:
            return (self._start + self._end) / 2
        share = (value - self._low) / (self._high - self._low)
        return round(self._start + share * (self._end - self._start), 1)


def _time_scale(days: Sequence[dt.date], start: float, end: float) -> Callable[[dt.date], float]:
    ordinals = [day.toordinal() for day in days] or [0]
    scale = _Scale(min(ordinals), max(ordinals), start, end)
    return lambda day: scale(day.toordinal())


def _value_scale(values: Sequence[float]) -> tuple[list[Tick], _Scale]:
    """Round ticks spanning the values, and the map to the plot's height (up is more)."""
    low, high = min(values), max(values)
    if low == high:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw_step = (high - low) / 4
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step)
    first, last = math.floor(low / step) * step, math.ceil(high / step) * step
    scale = _Scale(first, last, _PLOT_BOTTOM, _PLOT_TOP)
    count = round((last - first) / step)
    ticks = [Tick(scale(first + i * step), _number(first + i * step)) for i in range(count + 1)]
    return ticks, scale


def _number(value: float) -> str:
    value = round(float(value), 10)
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.4g}"


def _thinned(ticks: list[Tick]) -> list[Tick]:
    kept: list[Tick] = []
    for tick in ticks:
        if not kept or tick.position - kept[-1].position >= _LABEL_GAP:
            kept.append(tick)
    return kept
