"""Sensitivity of the 2016-2018 background estimate to the assumed upstream material.

The dominant published background of the NA64 2016-2018 invisible-mode search is
electro-nuclear interactions of the beam electron in the material between the momentum
measurement and the target (arXiv:1906.00176: 0.53 ± 0.17 events in total for 2.84e11 EOT).
The papers show the layout but quote no material budget, so the ``[upstream]`` table of the
shipped setup ``na64e_2016_2018`` is an assumption.  This script re-runs
:meth:`na64.reach.Search.background` with the same beam, detector and cuts for a few
alternative layouts, to show how much of the gap to the published number an unknown layout
could explain.  Nothing here is fitted: each scenario is a plausible layout, stated below.

Usage::

    python validation/background_layout.py [--events 20000] [--seed 1]

Prints, per scenario, the upstream electro-nuclear component and the total background for
2.84e11 EOT.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from importlib.resources import files
from pathlib import Path

import numpy as np

from na64.reach import Search
from na64.reach.config import load_analysis

EOT = 2.84e11
PUBLISHED = (0.53, 0.17)  # arXiv:1906.00176

#: (name, [upstream] layers as (name, material, z, thickness)) -- every layer is an assumption
#: of this study; ``None`` keeps the shipped setup's layers.
Layer = tuple[str, str, str, str]
WINDOW_MM = 0.2  # aluminium exit window of the vacuum pipe (assumed)


def _vacuum_then_air(end_m: float) -> list[Layer]:
    """Vacuum pipe ending ``end_m`` metres before the ECAL: its window, then air up to the ECAL."""
    air = end_m - WINDOW_MM / 1000
    return [("window", "Al", f"-{end_m:g}m", f"{WINDOW_MM:g}mm"),
            ("air", "Air", f"-{air:g}m", f"{air:g}m")]


def _counters(z_m: float) -> Layer:
    """1 cm of plastic beam counters ``z_m`` metres before the ECAL (assumed)."""
    return ("counters", "Sc", f"-{z_m:g}m", "10mm")


SCENARIOS: list[tuple[str, list[Layer] | None]] = [
    ("shipped: vacuum to -3.5 m, 3.5 m air, counters at -2 m", None),
    ("vacuum to -1 m, 1 m air, counters at -0.5 m", [*_vacuum_then_air(1), _counters(0.5)]),
    ("vacuum to -10 m, 10 m air, counters at -2 m", [*_vacuum_then_air(10), _counters(2)]),
    ("no vacuum: 18 m air from the last dipole, counters at -2 m",
     [("air", "Air", "-18m", "18m"), _counters(2)]),
    ("vacuum to -3.5 m, counters 10 mm at -17 m (after the dipoles)",
     [_counters(17), *_vacuum_then_air(3.5)]),
]


def _layers_toml(layers: list[Layer]) -> str:
    return "".join(f'\n[[upstream.layers]]\nname = "{n}"\nmaterial = "{m}"\nz = "{z}"\n'
                   f'thickness = "{t}"\n' for n, m, z, t in layers)


def _setup_with_layers(base: str, layers: str) -> str:
    """The setup text with its ``[[upstream.layers]]`` replaced by ``layers``."""
    head = re.split(r"^\[\[upstream\.layers\]\]", base, maxsplit=1, flags=re.MULTILINE)[0]
    return head.rstrip() + "\n" + layers


def main(argv: list[str] | None = None) -> None:
    """Run every scenario and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=20_000, help="events per background sample")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    base = (files("na64") / "data" / "setups" / "na64e_2016_2018.toml").read_text()
    analysis = load_analysis("invisible_2016_2018")
    print(f"# background for {EOT:.3g} EOT; published {PUBLISHED[0]} ± {PUBLISHED[1]} events")
    print(f"{'scenario':<62}{'upstream e-A':>16}{'total':>16}")
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, layers) in enumerate(SCENARIOS):
            path = Path(tmp) / f"setup_{i}.toml"
            path.write_text(base if layers is None else _setup_with_layers(base, _layers_toml(layers)))
            search = Search(analysis.model_copy(update={"setup": str(path)}))
            est = search.background(np.random.default_rng(args.seed), n_events=args.events)
            up = next(s for s in est.sources if "upstream" in s.name)
            (u, du), (t, dt) = up.events(EOT), est.events(EOT)
            print(f"{name:<62}{u:>9.3g} ± {du:<5.2g}{t:>9.3g} ± {dt:<5.2g}")


if __name__ == "__main__":
    main()
