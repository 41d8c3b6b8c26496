"""Sensitivity of the 2016-2018 background estimate to the assumed upstream material.

The dominant published background of the NA64 2016-2018 invisible-mode search is
electro-nuclear interactions of the beam electron in the material between the momentum
measurement and the target (arXiv:1906.00176: 0.53 ± 0.17 events in total for 2.84e11 EOT).
The papers show the layout but quote no material budget, so the ``[upstream]`` table of the
shipped setup ``na64e_2016_2018`` is an assumption.  This script re-runs
:func:`na64.background.estimate_background` with the same beam, detector and cuts for a few
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

from na64.background import estimate_background
from na64.reach.config import load_analysis
from na64.reach.events import EventBuilder

EOT = 2.84e11
PUBLISHED = (0.53, 0.17)  # arXiv:1906.00176

#: (name, [upstream] layers as TOML) -- every layer is an assumption of this study.
SCENARIOS: list[tuple[str, str]] = [
    ("shipped: vacuum to -3.5 m, 3.5 m air, counters at -2 m", ""),  # the setup as shipped
    ("vacuum to -1 m, 1 m air, counters at -0.5 m", """
[[upstream.layers]]
name = "window"
material = "Al"
z = "-1m"
thickness = "0.2mm"
[[upstream.layers]]
name = "air"
material = "Air"
z = "-0.9998m"
thickness = "0.9998m"
[[upstream.layers]]
name = "counters"
material = "Sc"
z = "-0.5m"
thickness = "10mm"
"""),
    ("vacuum to -10 m, 10 m air, counters at -2 m", """
[[upstream.layers]]
name = "window"
material = "Al"
z = "-10m"
thickness = "0.2mm"
[[upstream.layers]]
name = "air"
material = "Air"
z = "-9.9998m"
thickness = "9.9998m"
[[upstream.layers]]
name = "counters"
material = "Sc"
z = "-2m"
thickness = "10mm"
"""),
    ("no vacuum: 18 m air from the last dipole, counters at -2 m", """
[[upstream.layers]]
name = "air"
material = "Air"
z = "-18m"
thickness = "18m"
[[upstream.layers]]
name = "counters"
material = "Sc"
z = "-2m"
thickness = "10mm"
"""),
    ("vacuum to -3.5 m, counters 10 mm at -17 m (after the dipoles)", """
[[upstream.layers]]
name = "counters"
material = "Sc"
z = "-17m"
thickness = "10mm"
[[upstream.layers]]
name = "window"
material = "Al"
z = "-3.5m"
thickness = "0.2mm"
[[upstream.layers]]
name = "air"
material = "Air"
z = "-3.4998m"
thickness = "3.4998m"
"""),
]


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
            path.write_text(_setup_with_layers(base, layers) if layers else base)
            builder = EventBuilder(analysis.model_copy(update={"setup": str(path)}))
            est = estimate_background(builder, np.random.default_rng(args.seed),
                                      n_events=args.events)
            up = next(s for s in est.sources if "upstream" in s.name)
            print(f"{name:<62}{up.per_eot * EOT:>9.3g} ± {up.per_eot_unc * EOT:<5.2g}"
                  f"{est.per_eot * EOT:>9.3g} ± {est.per_eot_unc * EOT:<5.2g}")


if __name__ == "__main__":
    main()
