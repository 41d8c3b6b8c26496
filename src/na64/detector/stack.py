"""The longitudinal stack: every readout section of a setup in beam order.

Each section knows its position (mm), its depth in radiation lengths and interaction
lengths counted from the target face (so that one shower can be followed through the
target, the veto and the HCAL), the output array it fills and its cell grid.  Air gaps and
the evacuated decay volume add distance but no material.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from ..materials import Material, get_material
from .setup import Calorimeter, DecayVolume, Setup, Veto

__all__ = ["Section", "Stack", "build_stack"]


@dataclass(frozen=True)
class Section:
    """One readout section (a calorimeter section or module, or one veto counter)."""

    output: str
    index: int
    z0: float
    z1: float
    t0: float
    t1: float
    l0: float
    l1: float
    detector: Calorimeter | Veto
    n_sub: int = 1

    @property
    def is_calorimeter(self) -> bool:
        """True for a calorimeter section (has a cell grid)."""
        return isinstance(self.detector, Calorimeter)

    @property
    def materials(self) -> tuple[tuple[Material, float], ...]:
        """(material, total thickness in mm) of the absorber and active parts."""
        d = self.detector
        if isinstance(d, Calorimeter):
            n = (self.z1 - self.z0) / d.layer_thickness
            return ((d.absorber_material, n * d.absorber_thickness),
                    (d.active_material, n * d.active_thickness))
        return ((get_material(d.material), self.z1 - self.z0),)


@dataclass(frozen=True)
class Stack:
    """All sections of a setup, in beam order, with the per-detector grids."""

    sections: tuple[Section, ...]
    grids: dict[str, tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]] = field(
        default_factory=dict
    )
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    target_z: float = 0.0

    @property
    def t_edges(self) -> NDArray[np.float64]:
        """Section boundaries in radiation lengths (t0 of each section, then the last t1)."""
        return np.array([s.t0 for s in self.sections] + [self.sections[-1].t1])

    @property
    def l_edges(self) -> NDArray[np.float64]:
        """Section boundaries in interaction lengths."""
        return np.array([s.l0 for s in self.sections] + [self.sections[-1].l1])

    @cached_property
    def _ends(self) -> dict[str, NDArray[np.float64]]:
        return {u: np.array([v for s in self.sections
                             for v in (getattr(s, f"{u}0"), getattr(s, f"{u}1"))])
                for u in ("z", "t", "l")}

    @cached_property
    def faces(self) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
        """Per section: z (mm) and depth (lambda_int) of the upstream face of the detector
        it belongs to (its first section), and whether it is a calorimeter section."""
        first: dict[str, Section] = {}
        for s in self.sections:
            first.setdefault(s.output, s)
        return (np.array([first[s.output].z0 for s in self.sections]),
                np.array([first[s.output].l0 for s in self.sections]),
                np.array([s.is_calorimeter for s in self.sections]))

    def convert(self, x: NDArray[np.floating], src: str, dst: str) -> NDArray[np.float64]:
        """Longitudinal coordinates ``x`` from ``src`` to ``dst``, each ``"z"`` (mm,
        absolute), ``"t"`` (X0 from the target face) or ``"l"`` (lambda_int): piecewise
        linear through the sections' ends (a gap adds z but no depth)."""
        return np.interp(x, self._ends[src], self._ends[dst])


def _grid(cal: Calorimeter) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    xe = np.array(cal.x_edges)
    ye = np.array(cal.y_edges)
    active = np.ones((cal.cells[1], cal.cells[0]), dtype=bool)
    if cal.hole > 0:
        h = 0.5 * cal.hole
        inside_x = (xe[:-1] >= cal.center[0] - h - 1e-9) & (xe[1:] <= cal.center[0] + h + 1e-9)
        inside_y = (ye[:-1] >= cal.center[1] - h - 1e-9) & (ye[1:] <= cal.center[1] + h + 1e-9)
        active &= ~(inside_y[:, None] & inside_x[None, :])
    return xe, ye, active


_CACHE: dict[int, tuple[Setup, Stack]] = {}


def build_stack(setup: Setup) -> Stack:
    """Lay out the readout sections of ``setup`` along the beam (cached per setup object)."""
    hit = _CACHE.get(id(setup))
    if hit is not None and hit[0] is setup:
        return hit[1]
    stack = _build(setup)
    if len(_CACHE) > 32:
        _CACHE.clear()
    _CACHE[id(setup)] = (setup, stack)
    return stack


def _build(setup: Setup) -> Stack:
    sections: list[Section] = []
    grids = {}
    shapes: dict[str, tuple[int, ...]] = {}
    t = 0.0
    lam = 0.0
    target_z = setup.target.z
    for name, det in setup.detectors():
        if isinstance(det, DecayVolume):
            continue
        if det.z + det.length <= target_z:
            continue  # upstream of the target: not hit by the shower
        if isinstance(det, Veto):
            mat = get_material(det.material)
            for i in range(det.counters):
                z0 = det.z + i * det.thickness
                dt, dl = det.thickness / mat.X0, det.thickness / mat.lambda_int
                sections.append(Section(name, i, z0, z0 + det.thickness, t, t + dt, lam, lam + dl,
                                        det))
                t, lam = t + dt, lam + dl
            shapes[name] = (det.counters,)
            continue
        grids[name] = _grid(det)
        shapes[name] = (det.n_sections, det.cells[1], det.cells[0])
        z = det.z
        per_module = len(det.layers) == 1 and det.modules > 1
        for i, n_layers in enumerate(det.section_layers):
            length = n_layers * det.layer_thickness
            dt, dl = length / det.X0, length / det.lambda_int
            n_sub = int(min(4, max(1, np.ceil(dt / 10.0)))) if name == setup.target_name else 1
            sections.append(Section(name, i, z, z + length, t, t + dt, lam, lam + dl, det, n_sub))
            t, lam = t + dt, lam + dl
            z += length + (det.gap if per_module else 0.0)
    return Stack(tuple(sections), grids, shapes, target_z)
