"""Exclusion plots and overlay CSV reading (artists and files, never pixels)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.colors
import numpy as np
import pytest
from matplotlib.collections import PolyCollection

from na64.errors import InputError
from na64.plots.limits import BAND_COLORS, plot_exclusion, read_overlay_csv
from na64.units import GeV, MeV


def _inputs() -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    m = np.geomspace(1.0, 1000.0, 30) * MeV
    obs = 1e-5 * (m / MeV) ** 0.5
    exp = {
        k: obs * f for k, f in {"m2": 0.6, "m1": 0.8, "median": 1.0, "p1": 1.3, "p2": 1.7}.items()
    }
    return m, obs, exp


def test_plot_has_expected_artists_and_writes_png_pdf(tmp_path: Path) -> None:
    m, obs, exp = _inputs()
    out = tmp_path / "sub" / "limit"
    ax = plot_exclusion(
        m, obs, exp, overlays=[("BaBar", m, obs * 2.0)], relic=(m, obs * 0.1), output=out
    )
    assert ax.get_xscale() == "log"
    assert ax.get_yscale() == "log"
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["Expected 90% CL", "Observed 90% CL", "BaBar", "Relic density"]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2  # ±2σ then ±1σ
    colors = {matplotlib.colors.to_hex(c.get_facecolor()[0]) for c in bands}
    assert colors == {BAND_COLORS["1sigma"], BAND_COLORS["2sigma"]}
    # masses are drawn in GeV
    assert ax.get_lines()[1].get_xdata()[0] == pytest.approx(1.0 * MeV / GeV)
    assert any("NA64" in t.get_text() for t in ax.texts)
    assert any("simulation" in t.get_text() for t in ax.texts)
    legend = ax.get_legend()
    assert legend is not None
    assert len(legend.get_texts()) == 6
    png, pdf = out.with_suffix(".png"), out.with_suffix(".pdf")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert png.stat().st_size > 10_000
    assert pdf.stat().st_size > 1_000
    assert sorted(p.name for p in out.parent.iterdir()) == ["limit.pdf", "limit.png"]  # no temps


def test_plot_into_given_axes_without_bands() -> None:
    from matplotlib.figure import Figure

    m, obs, _ = _inputs()
    ax = Figure().add_subplot()
    got = plot_exclusion(m, obs, ax=ax)
    assert got is ax
    assert len(ax.collections) == 0
    assert [line.get_label() for line in ax.get_lines()] == ["Observed 90% CL"]
    ax2 = plot_exclusion(m, obs, ax=Figure().add_subplot(), obs_label="na64 default")
    assert [line.get_label() for line in ax2.get_lines()] == ["na64 default"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"eps_obs": None}, "eps_obs"),
        ({"eps_obs": np.zeros(30)}, "eps_obs"),
        ({"eps_obs": np.ones(29)}, "eps_obs"),
        ({"expected": {"m1": np.ones(30)}}, "expected"),
    ],
)
def test_plot_rejects_bad_curves(kwargs: dict[str, object], field: str) -> None:
    m, _, _ = _inputs()
    with pytest.raises(InputError) as exc:
        plot_exclusion(m, **kwargs)  # type: ignore[arg-type]
    assert exc.value.field == field


def test_read_overlay_csv(tmp_path: Path) -> None:
    f = tmp_path / "babar.csv"
    f.write_text(
        "# BaBar 2017 (digitized by the user)\nmass_GeV,eps\n0.01, 1e-3\n0.1 2e-3\n\n1.0;5e-4\n"
    )
    m, v = read_overlay_csv(f)
    assert m == pytest.approx(np.array([0.01, 0.1, 1.0]) * GeV)
    assert v == pytest.approx([1e-3, 2e-3, 5e-4])


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (None, "no such file"),
        ("mass_GeV,eps\n0.1,1e-3\nabc,1\n", "line 3"),
        ("0.1,1e-3,7\n0.2,1e-3\n", "2 columns"),
        ("0.1,-1e-3\n0.2,1e-3\n", "> 0"),
        ("0.1,nan\n0.2,1e-3\n", "finite"),
        ("mass_GeV,eps\n0.1,1e-3\n", "at least 2"),
    ],
)
def test_read_overlay_csv_errors(tmp_path: Path, content: str | None, match: str) -> None:
    f = tmp_path / "curve.csv"
    if content is not None:
        f.write_text(content)
    with pytest.raises(InputError, match=match) as exc:
        read_overlay_csv(f)
    assert exc.value.field == "overlay"
