"""dashboard.figures* and dashboard.stats: pure functions on small frames, no browser."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from dashboard import (
    figures,
    figures_activity,
    figures_audio,
    figures_devices,
    figures_models,
    figures_temperature,
    stats,
)
from dashboard.figures import DAY_MS


def nightly(rows: list[tuple[str, date, float, float, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["site", "night", "minutes_recorded", "minutes_with_calls", "events"]
    )


def test_sparse_season_draws_each_night_one_night_wide() -> None:
    # Two nights two years apart: the bug drew each as a bar months wide.
    fig = figures_activity.calls_per_night(
        nightly(
            [("Pond", date(2017, 4, 1), 120.0, 30.0, 4), ("Pond", date(2019, 4, 1), 60.0, 0.0, 0)]
        )
    )
    (calls,) = [t for t in fig.data if t.type == "scatter"]
    (effort,) = [t for t in fig.data if t.type == "bar"]
    assert effort.width == pytest.approx(0.8 * DAY_MS)
    assert fig.layout.xaxis.type == "date"
    # The line is broken between the two nights (a gap point the day after the first),
    # not drawn across two years.
    assert np.isnan(calls.y[1]) and pd.Timestamp(calls.x[1]) == pd.Timestamp(2017, 4, 2)
    assert [y for y in calls.y if not np.isnan(y)] == [25.0, 0.0]
    first, last = (pd.Timestamp(v) for v in fig.layout.xaxis.range)
    assert first == pd.Timestamp(2017, 3, 31) and last == pd.Timestamp(2019, 4, 2)


def test_multi_year_range_keeps_true_dates_per_site() -> None:
    nights = [date(2022, 3, 1) + timedelta(days=k) for k in range(0, 900, 30)]
    frame = nightly(
        [("A", n, 100.0, 10.0, 2) for n in nights] + [("B", n, 50.0, 50.0, 9) for n in nights[:3]]
    )
    fig = figures_activity.calls_per_night(frame)
    names = [t.name for t in fig.data if t.type == "scatter"]
    assert names == ["A", "B"]
    (b,) = [t for t in fig.data if t.name == "B"]
    assert list(b.y)[-1] == 100.0  # every recorded minute of B had calls
    assert all(t.width == pytest.approx(0.8 * DAY_MS) for t in fig.data if t.type == "bar")


def test_calls_are_a_share_of_the_audio_so_never_exceed_it() -> None:
    # A 4-second recording with a call: 4/60 of a minute with calls, 100% of its audio.
    fig = figures_activity.calls_per_night(nightly([("Pond", date(2024, 3, 1), 4 / 60, 4 / 60, 1)]))
    (calls,) = [t for t in fig.data if t.type == "scatter"]
    assert np.nanmax(calls.y) == pytest.approx(100.0)


def test_empty_frames_say_so_without_a_year_2000_axis() -> None:
    fig = figures_activity.calls_per_night(nightly([]))
    assert "No recordings" in fig.layout.annotations[0].text
    assert fig.layout.xaxis.visible is False


def test_heatmap_has_one_column_per_night_and_gaps_without_audio() -> None:
    hourly = pd.DataFrame(
        {
            "night": [date(2024, 3, 1), date(2024, 3, 1), date(2024, 3, 5)],
            "hour": [20, 2, 20],
            "minutes_recorded": [60.0, 60.0, 30.0],
            "minutes_with_calls": [30.0, 0.0, 30.0],
        }
    )
    fig = figures_activity.night_heatmap(hourly)
    (heat,) = fig.data
    assert len(heat.x) == 5  # 1 to 5 March, each night its own column
    assert list(heat.y) == ["20:00", "02:00"]  # evening first, only hours with audio
    z = np.array(heat.z, dtype=float)
    assert z[0, 0] == 50.0 and z[1, 0] == 0.0 and z[0, 4] == 100.0
    assert np.isnan(z[:, 1:4]).all()  # no audio: no colour, not zero


def _season_figures() -> list[go.Figure]:
    nights = [date(2024, 3, 1) + timedelta(days=k) for k in (0, 1, 2, 5, 6)]
    frame = nightly(
        [(site, n, 120.0, 10.0 * k, k) for k, n in enumerate(nights) for site in "ABCDEFGHIJ"]
    )
    hourly = pd.DataFrame(
        {"night": nights, "hour": [20, 21, 2, 3, 20], "minutes_recorded": [60.0] * 5}
    ).assign(minutes_with_calls=[0.0, 10.0, 20.0, 60.0, 5.0])
    per_degree = pd.DataFrame(
        {"degree": np.arange(4.0, 20.0), "recordings": [40] * 16, "with_calls": np.arange(16)}
    )
    bins = stats.bin_by_temperature(per_degree)
    per_night = pd.DataFrame(
        {"site": "A", "night": nights, "temperature_c": [8.0, 9.5, 11.0, 14.0, 16.0]}
    ).assign(recordings=4, with_calls=[0, 1, 2, 3, 4])
    return [
        figures_activity.calls_per_night(frame),
        figures_activity.calls_per_night(frame[frame["site"] < "C"]),
        figures_activity.night_heatmap(hourly),
        figures_temperature.temperature_bins(bins, stats.fit_logistic(bins)),
        figures_temperature.temperature_nights(stats.nights_by_temperature(per_night)),
        figures.empty_figure("Nothing here", "A title"),
        figures_devices.site_map(POINTS),
        figures_devices.site_map(POINTS, tile_url="https://tiles.test/{z}/{x}/{y}.png"),
        figures_models.calls_per_night_by_model(BY_MODEL, {2: "m:2.0", 1: "m:1.0"}),
        figures_models.agreement_figure(figures_models.Agreement(5, 1, 2, 40), "m:2.0", "m:1.0"),
    ]


def test_figures_built_unchecked_are_what_plotly_checks_and_sends() -> None:
    # figures.figure skips plotly's property checks for speed: building each figure again
    # with the checks must neither fail (a misspelt property) nor change what plotly.js
    # gets (a named colour scale that plotly.js would read reversed).
    for fig in _season_figures():
        checked = go.Figure(fig.to_plotly_json())
        assert json.loads(pio.to_json(checked)) == json.loads(pio.to_json(fig))


def test_logistic_fit_finds_the_half_maximum_temperature() -> None:
    rng = np.random.default_rng(3)
    t = rng.uniform(2, 24, 4000)
    p = stats.logistic(t, 0.8, 0.7, 12.5)
    recordings = pd.DataFrame({"degree": np.floor(t), "has_call": rng.random(4000) < p})
    per_degree = recordings.groupby("degree")["has_call"].agg(recordings="size", with_calls="sum")
    bins = stats.bin_by_temperature(per_degree.reset_index())
    assert bins["recordings"].sum() == 4000
    fit = stats.fit_logistic(bins)
    assert fit is not None
    assert fit.t50_c == pytest.approx(12.5, abs=0.8) and fit.p_max == pytest.approx(0.8, abs=0.08)
    fig = figures_temperature.temperature_bins(bins, fit)
    assert [t.name for t in fig.data] == ["Recordings with calls", "Logistic fit"]
    assert fig.data[0].text[0].startswith("n=")
    assert "half of max" in fig.layout.annotations[0].text


def test_no_fit_without_calls_or_with_too_few_bins() -> None:
    flat = pd.DataFrame({"degree": [5.0, 6.0, 7.0], "recordings": [4] * 3, "with_calls": [0] * 3})
    assert stats.fit_logistic(stats.bin_by_temperature(flat)) is None
    two = pd.DataFrame({"degree": [5.0, 9.0], "recordings": [1, 1], "with_calls": [1, 0]})
    assert stats.fit_logistic(stats.bin_by_temperature(two)) is None


def test_bins_widen_over_a_wide_range() -> None:
    wide = pd.DataFrame(
        {"degree": [-10.0, -9.0, 30.0], "recordings": [2, 2, 4], "with_calls": [0, 1, 4]}
    )
    bins = stats.bin_by_temperature(wide)
    assert list(bins["temperature_c"]) == [-9.0, 31.0]  # 2 °C bins: -10..-8 and 30..32
    assert list(bins["recordings"]) == [4, 4] and list(bins["share"]) == [0.25, 1.0]


def test_nights_are_coloured_by_date() -> None:
    per_night = pd.DataFrame(
        {
            "site": ["A", "A"],
            "night": [date(2024, 3, 1), date(2024, 3, 9)],
            "temperature_c": [9.0, 15.0],
            "recordings": [2, 2],
            "with_calls": [1, 2],
        }
    )
    nights = stats.nights_by_temperature(per_night)
    assert list(nights["share"]) == [0.5, 1.0] and list(nights["temperature_c"]) == [9.0, 15.0]
    (points,) = figures_temperature.temperature_nights(nights).data
    assert points.marker.color[0] < points.marker.color[1]


POINTS = pd.DataFrame(
    {
        "name": ["Pond", "AudioMoth 1"],
        "kind": ["site", "device"],
        "latitude": [37.1, 37.11],
        "longitude": [-122.3, -122.31],
        "hours_recorded": [10.0, 0.0],
        "minutes_with_calls": [30.0, 0.0],
        "events": [5, 0],
        "days_since_call": [1.0, float("nan")],
        "last_call": ["2024-03-01 03:00 UTC", "site Pond"],
    }
)


def test_map_works_offline_without_tiles() -> None:
    fig = figures_devices.site_map(POINTS)
    site, device = fig.data
    assert site.type == device.type == "scatter"  # plain axes: no tiles, no CDN topojson
    assert (list(site.x), list(device.x)) == ([-122.3], [-122.31])
    assert fig.layout.yaxis.scaleanchor == "x"


def test_map_colours_days_since_the_last_call_and_greys_sites_without_one() -> None:
    quiet = pd.DataFrame([POINTS.iloc[0].to_dict() | {"name": "Dry Pond", "days_since_call": None}])
    fig = figures_devices.site_map(pd.concat([POINTS, quiet], ignore_index=True))
    called, silent, device = fig.data
    # The colour scale holds days only (0 = a call in the newest night), never a stand-in
    # value for "no call": that is its own grey trace; recorders are their own, too.
    assert list(called.marker.color) == [1.0] and called.marker.cmin == 0
    assert called.marker.cmax == figures_devices.MAP_DAYS_SCALE
    assert silent.marker.color == "#BBBBBB" and list(silent.text) == ["Dry Pond"]
    assert device.name == "recorder (own position)" and device.marker.symbol == "diamond"


def test_map_uses_tiles_when_configured() -> None:
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    fig = figures_devices.site_map(POINTS, tile_url=url, attribution="(c) example")
    assert {t.type for t in fig.data} == {"scattermap"}
    assert fig.layout.map.style == "white-bg"
    assert list(fig.layout.map.layers[0].source) == [url]


def test_device_health_marks_gaps_against_the_expected_night() -> None:
    nights = pd.DataFrame(
        {
            "night": [date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 4)],
            "recordings": [24, 10, 24],
            "minutes_recorded": [240.0, 100.0, 240.0],
            "battery_v": [4.8, 4.7, 4.6],
            "temperature_c": [10.0, 11.0, 12.0],
            "temperature_min": [8.0, 9.0, 10.0],
            "temperature_max": [12.0, 13.0, 14.0],
        }
    )
    fig = figures_devices.device_health(nights, 240.0)
    (gaps,) = [t for t in fig.data if t.name and t.name.startswith("Gap")]
    # 2 March recorded too little; 3 March recorded nothing at all.
    assert [pd.Timestamp(x).date() for x in gaps.x] == [date(2024, 3, 2), date(2024, 3, 3)]
    (recorded,) = [t for t in fig.data if t.name == "Recorded"]
    assert len(recorded.x) == 4 and recorded.width == pytest.approx(0.8 * DAY_MS)


def test_spectrogram_is_cut_at_the_chosen_frequency_and_marks_the_event() -> None:
    freqs = np.linspace(0, 8000, 257)
    times = np.linspace(7.0, 23.0, 50)
    fig = figures_audio.spectrogram(np.zeros((257, 50)), times, freqs, event_s=(10.0, 20.0))
    assert max(fig.data[0].y) <= 3000 and tuple(fig.layout.yaxis.range) == (0, 3000)
    (box,) = fig.layout.shapes
    assert (box.x0, box.x1) == (10.0, 20.0)
    wider = figures_audio.spectrogram(
        np.zeros((257, 50)), times, freqs, event_s=(10, 20), max_hz=6000
    )
    assert max(wider.data[0].y) > 3000


BY_MODEL = pd.DataFrame(
    {
        "night": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-09", "2024-03-01"]),
        "model_version_id": [1, 1, 1, 2],
        "recordings": [10, 20, 5, 4],
        "minutes_analysed": [100.0, 200.0, 50.0, 40.0],
        "minutes_with_calls": [50.0, 0.0, 50.0, 10.0],
        "events": [7, 0, 9, 2],
    }
)


def test_calls_per_night_by_model_is_a_share_of_what_each_version_analysed() -> None:
    fig = figures_models.calls_per_night_by_model(BY_MODEL, {2: "m:2.0", 1: "m:1.0"})
    assert [t.name for t in fig.data] == ["m:2.0", "m:1.0"]
    old = fig.data[1]
    # 2 March to 9 March has no runs: the line breaks there instead of crossing a week.
    assert np.isnan(old.y[2]) and pd.Timestamp(old.x[2]) == pd.Timestamp(2024, 3, 3)
    assert [y for y in old.y if not np.isnan(y)] == [0.5, 0.0, 1.0]
    assert fig.data[0].y.tolist() == [0.25]
    assert fig.data[0].customdata.tolist() == [[10.0, 40.0, 2.0]]  # minutes, events in hover
    empty = figures_models.calls_per_night_by_model(BY_MODEL.iloc[:0], {})
    assert not empty.data and empty.layout.annotations[0].text.startswith("No model")


def test_agreement_and_kappa_equal_scikit_learn() -> None:
    from sklearn.metrics import cohen_kappa_score

    found = figures_models.agreement_of(
        pd.DataFrame(
            {
                "first_calls": [True, True, False, False],
                "second_calls": [True, False, True, False],
                "recordings": [5, 1, 2, 40],
            }
        )
    )
    assert (found.both, found.first_only, found.second_only, found.neither) == (5, 1, 2, 40)
    first = [1] * 5 + [1] * 1 + [0] * 2 + [0] * 40
    second = [1] * 5 + [0] * 1 + [1] * 2 + [0] * 40
    assert found.kappa == pytest.approx(cohen_kappa_score(first, second))
    assert found.share_agreeing == pytest.approx(45 / 48)
    # The heatmap puts each count where its row and column say.
    fig = figures_models.agreement_figure(found, "new", "old")
    (heat,) = fig.data
    cell = {(y, x): heat.z[i][j] for i, y in enumerate(heat.y) for j, x in enumerate(heat.x)}
    assert cell[("old: calls", "new: calls")] == 5
    assert cell[("old: none", "new: calls")] == 1  # only the first ("new") hears calls
    assert cell[("old: calls", "new: none")] == 2
    assert figures_models.Agreement().kappa is None
    assert figures_models.Agreement(both=3).kappa is None  # all alike: chance is 1
