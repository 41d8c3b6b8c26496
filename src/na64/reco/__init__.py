"""Event reconstruction from detector columns: calorimeter sums, positions, shower shape."""

from .calorimetry import (
    cell_centers,
    center_of_gravity,
    ecal_energy,
    hcal_energy,
    max_cell,
    preshower_energy,
    shower_chi2,
    veto_energy,
)

__all__ = [
    "cell_centers",
    "center_of_gravity",
    "ecal_energy",
    "hcal_energy",
    "max_cell",
    "preshower_energy",
    "shower_chi2",
    "veto_energy",
]
