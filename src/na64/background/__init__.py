"""Background estimate of the invisible-mode search, per source, with uncertainties.

The NA64 papers list these backgrounds to the missing-energy signature (arXiv:1710.00971,
Sec. V; arXiv:1906.00176, Table I): the low-energy tail of the electron beam, hadrons in
the beam (π, K, p) that fake an electron and punch through or escape the calorimeters,
μ/π/K decays in flight upstream of the target, and hermeticity (leakage of an ordinary
electron shower).  :func:`estimate_background` computes each from the beam model of
:mod:`na64.beam` and the event pipeline (:mod:`na64.pipeline`), never from typed-in numbers:

    rate(source) = population per EOT  ×  P(source passes the selection)

* The *population* comes from the beam configuration (:mod:`na64.beam.backgrounds`):
  tail fraction below the signal-box edge, admixture fractions, decay probabilities.
* For particles that are not electrons, the SRD tag cannot be simulated at the 1e-5 level
  it reaches; its mis-identification probability is the analytic upper bound of
  :func:`na64.beam.srd_misid_probability` (synchrotron-radiation physics), and the other
  cuts are simulated on a *biased* sample made only of that population.
* A sample in which no event passes gives rate 0 with, as uncertainty, the one-sided 68.3%
  CL Poisson bound ``1.148 / N`` on the pass probability (−ln 0.317 = 1.148).
* Ordinary beam electrons (hermeticity) are estimated by extrapolating the low-energy
  side band of E_ECAL (events passing every other cut, between the box edge and
  E0 − 5σ_E) into the signal box with an exponential fitted by maximum likelihood — the
  side-band method of the NA64 analyses.

* Electro-nuclear interactions of the beam in the material between the spectrometer and
  the target (the dominant source of arXiv:1906.00176) and photo-nuclear production in the
  target with a leading neutral hadron punching through the HCAL are the physics models of
  :mod:`na64.background.upstream` (material from the setup's ``[upstream]`` table).

Each source is one module registered by name (:func:`register_source`); an analysis file
chooses them (``[background] sources``):

========================== =====================================================
``leakage``                :mod:`na64.background.leakage`
``beam_tail``              :mod:`na64.background.beam_tail`
``beam_hadrons``           :mod:`na64.background.beam_hadrons`
``decays_in_flight``       :mod:`na64.background.decays_in_flight`
``upstream_electronuclear`` :mod:`na64.background.electronuclear` (model: ``upstream``)
``target_punch_through``   :mod:`na64.background.punch_through`
``muon_beam``              :mod:`na64.background.muon_beam` (muon beams)
``muon_decays``            :mod:`na64.background.muon_decays` (muon beams)
``muon_brems``, ``muon_pairs``, ``muon_photonuclear``, ``muon_knock_on``
                           :mod:`na64.background.muon_hard_losses` (muon beams; the
                           hadrons' escape: :mod:`na64.background.muon_nuclear_escape`)
``muon_tracking_tail``     :mod:`na64.background.muon_tracking_tail` (muon beams)
``muon_trident``           :mod:`na64.background.muon_trident` (muon beams)
========================== =====================================================

What is not modelled (and so not estimated): dimuon production by the electron
shower in the target (γZ → Zμ+μ−), HCAL cracks
and dead zones, and pile-up.  The ``notes`` of the estimate and of each source say so.
"""

from __future__ import annotations

from . import (  # noqa: F401  (importing a source module registers it)
    beam_hadrons,
    beam_tail,
    decays_in_flight,
    electronuclear,
    k0_decays,
    leakage,
    muon_beam,
    muon_decays,
    muon_hard_losses,
    muon_tracking_tail,
    muon_trident,
    photon_punch,
    punch_through,
    visible_hadrons,
)
from .base import (
    DEFAULT_EVENTS,
    ZERO_PASS_BOUND,
    BackgroundContext,
    BackgroundEstimate,
    BackgroundSource,
)
from .electronuclear import upstream_electronuclear
from .registry import SOURCES, estimate_background, get_source, register_source, source_names

#: The sources of the missing-energy (invisible-mode) search, in the order they are run.
MISSING_ENERGY_SOURCES: tuple[str, ...] = (
    "leakage",
    "beam_tail",
    "beam_hadrons",
    "decays_in_flight",
    "upstream_electronuclear",
    "target_punch_through",
)

#: What none of :data:`MISSING_ENERGY_SOURCES` models, recorded with their estimate.
MISSING_ENERGY_NOTES: tuple[str, ...] = (
    "not modelled: dimuon production in the target (muons always deposit > 1 GeV in the "
    "HCAL of the fast simulation), HCAL cracks/dead zones, pile-up, non-Gaussian "
    "tails of the momentum reconstruction",
)

__all__ = [
    "DEFAULT_EVENTS",
    "MISSING_ENERGY_NOTES",
    "MISSING_ENERGY_SOURCES",
    "SOURCES",
    "ZERO_PASS_BOUND",
    "BackgroundContext",
    "BackgroundEstimate",
    "BackgroundSource",
    "estimate_background",
    "get_source",
    "register_source",
    "source_names",
    "upstream_electronuclear",
]
