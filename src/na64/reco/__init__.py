"""Event reconstruction from detector columns: calorimeter sums, positions, shower shape."""

from .calibration import calibrate_shower_shape, shape_fluctuation_points
from .calorimetry import (
    ShowerFit,
    cell_centers,
    center_of_gravity,
    ecal_energy,
    fit_shower,
    hcal_energy,
    max_cell,
    preshower_energy,
    shape_fluctuation,
    shower_chi2,
    veto_energy,
)

__all__ = [
    "ShowerFit",
    "calibrate_shower_shape",
    "cell_centers",
    "center_of_gravity",
    "ecal_energy",
    "fit_shower",
    "hcal_energy",
    "max_cell",
    "preshower_energy",
    "shape_fluctuation",
    "shape_fluctuation_points",
    "shower_chi2",
    "veto_energy",
]
