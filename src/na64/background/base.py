"""Background sources: their result types, their context and the helpers they share.

A background source computes, for the selection of a search, the expected events per beam
particle on target with an uncertainty and the assumptions it made:

    rate(source) = population per EOT  ×  P(source passes the selection)

* The *population* comes from the beam configuration (:mod:`na64.beam.backgrounds`) or a
  physics model; P(pass) from events of the shared pipeline (:class:`na64.pipeline.
  EventPipeline`) run through the search's selection.
* A sample in which no event passes gives rate 0 with, as uncertainty, the one-sided 68.3%
  CL Poisson bound ``1.148 / N`` on the pass probability (−ln 0.317 = 1.148).
* Where the upstream detectors (SRD, tracking) and the downstream ones act on independent
  quantities, P(pass) factorises into the two groups so each factor has a usable sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..beam import expected_momentum_resolution
from ..pipeline import EventPipeline
from ..select import Selection

__all__ = ["DEFAULT_EVENTS", "ZERO_PASS_BOUND", "BackgroundContext", "BackgroundEstimate",
           "BackgroundSource"]

#: One-sided 68.3% CL Poisson upper bound on the mean for zero observed events.
ZERO_PASS_BOUND = -math.log(1.0 - 0.6827)

#: Default events simulated per background sample.
DEFAULT_EVENTS = 20_000

#: Cuts on the beam-line detectors (upstream of the target).
_UPSTREAM = ("srd", "single_track", "beam_momentum")


@dataclass(frozen=True)
class BackgroundSource:
    """One background source: expected events per EOT after the selection."""

    name: str
    per_eot: float
    per_eot_unc: float
    method: str
    n_simulated: int = 0
    cutflow: list[tuple[str, float, float]] = field(default_factory=list)
    #: Assumptions and limitations of this source's model (free text).
    notes: tuple[str, ...] = ()

    def events(self, eot: float) -> tuple[float, float]:
        """Expected events of this source and their uncertainty for an exposure of ``eot``."""
        return self.per_eot * eot, self.per_eot_unc * eot


@dataclass(frozen=True)
class BackgroundEstimate:
    """The sum of the sources (uncertainties added in quadrature)."""

    sources: tuple[BackgroundSource, ...]
    notes: tuple[str, ...] = ()

    @property
    def per_eot(self) -> float:
        """Total expected background per EOT."""
        return float(sum(s.per_eot for s in self.sources))

    @property
    def per_eot_unc(self) -> float:
        """Its uncertainty per EOT."""
        return float(math.sqrt(sum(s.per_eot_unc**2 for s in self.sources)))

    def events(self, eot: float) -> tuple[float, float]:
        """Expected background events and their uncertainty for an exposure of ``eot``."""
        return self.per_eot * eot, self.per_eot_unc * eot


@dataclass(frozen=True)
class BackgroundContext:
    """What a background source needs of a search.

    Attributes
    ----------
    pipeline
        The event pipeline of the search's setup and beam.
    selection
        The search's selection.
    box_cut
        Name of the cut that defines the signal box on the missing-energy side (its value
        is :attr:`box_edge`).
    """

    pipeline: EventPipeline
    selection: Selection
    box_cut: str = "ecal_max"

    @property
    def energy(self) -> float:
        """Nominal beam energy (MeV)."""
        return self.pipeline.energy

    @property
    def box_edge(self) -> float:
        """The signal-box edge: the value of :attr:`box_cut` (MeV)."""
        return float(self.selection[self.box_cut].value)


def _pass_probability(mask: np.ndarray) -> tuple[float, float]:
    """Pass fraction and its binomial (or zero-pass bound) uncertainty."""
    n = int(mask.size)
    if n == 0:
        return 0.0, 1.0
    k = int(np.count_nonzero(mask))
    if k == 0:
        return 0.0, ZERO_PASS_BOUND / n
    p = k / n
    return p, math.sqrt(max(p * (1 - p), 1.0 / n) / n)


def _flow(ctx: BackgroundContext, events: dict[str, np.ndarray], scale: float,
          exclude: tuple[str, ...] = ()) -> list[tuple[str, float, float]]:
    """Cut-flow rows scaled to events per EOT (the excluded cuts are disabled)."""
    sel = ctx.selection
    if exclude:
        sel = sel.configure({name: {"enabled": False} for name in exclude})
    flow = sel.cutflow(events)
    n = max(int(flow.n[0]), 1)
    return [(str(name), scale * k / n, scale * math.sqrt(k) / n)
            for name, k in zip(flow.names, flow.n, strict=True)]


def _product(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """Product of two independent estimates (value, uncertainty)."""
    v = a[0] * b[0]
    u = math.sqrt((a[1] * b[0]) ** 2 + (a[0] * b[1]) ** 2 + (a[1] * b[1]) ** 2)
    return v, u


def _momentum_window(ctx: BackgroundContext, momentum: np.ndarray, mass: float
                     ) -> tuple[float, float]:
    """Mean probability that the spectrometer measures a momentum inside the
    ``beam_momentum`` window, from its Gaussian resolution (slope errors ⊕ multiple
    scattering, :func:`na64.beam.expected_momentum_resolution`), for true momenta
    ``momentum``.  The tracking simulation is Gaussian, so this is its exact prediction far
    beyond the reach of a Monte Carlo sample."""
    from scipy.special import ndtr

    lo, hi = ctx.selection["beam_momentum"].value
    p = np.asarray(momentum, dtype=float)
    # resolution varies slowly with p: interpolate on a few quantiles
    nodes = np.quantile(p, np.linspace(0, 1, 9))
    sig = np.array([expected_momentum_resolution(ctx.pipeline.beamline, float(pi), mass) * pi
                    for pi in nodes])
    sigma = np.interp(p, nodes, sig)
    prob = ndtr((hi - p) / sigma) - ndtr((lo - p) / sigma)
    return float(prob.mean()), float(prob.std() / math.sqrt(max(p.size, 1)))


def _selected(ctx: BackgroundContext, events: dict[str, np.ndarray],
              exclude: tuple[str, ...], *, momentum: tuple[np.ndarray, float] | None = None,
              ) -> tuple[float, float]:
    """P(pass) factorized as P(upstream cuts) × P(downstream cuts): the two groups act on
    independent detectors, and each factor has a usable sample size.  With ``momentum``
    (true momenta, mass) the ``beam_momentum`` cut is evaluated analytically
    (:func:`_momentum_window`) instead of by counting."""
    sel = ctx.selection
    skip = exclude + (("beam_momentum",) if momentum is not None else ())
    up = [c for c in _UPSTREAM if c not in skip]
    down = [c.name for c in sel if c.name not in _UPSTREAM and c.name not in exclude]
    m_up = sel.mask(events, exclude=[c.name for c in sel if c.name not in up])
    m_down = sel.mask(events, exclude=[c.name for c in sel if c.name not in down])
    result = _product(_pass_probability(m_up), _pass_probability(m_down))
    if momentum is not None:
        result = _product(result, _momentum_window(ctx, *momentum))
    return result


def _weighted_flow(ctx: BackgroundContext, events: dict[str, np.ndarray], weights: np.ndarray,
                   scale: float) -> list[tuple[str, float, float]]:
    """Cut-flow rows per EOT from a weighted sample: ``scale × Σw/N`` after each cut."""
    flow = ctx.selection.cutflow(events, weights=weights)
    n = max(int(flow.n[0]), 1)
    return [(str(name), scale * float(w) / n, scale * float(e) / n)
            for name, w, e in zip(flow.names, flow.sum_w, flow.sum_w_err, strict=True)]


