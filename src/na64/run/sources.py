"""Event sources for productions: the fast detector simulation of a setup.

:class:`DetectorSource` carries the *text* of the setup TOML (not a path), so workers on
other machines need no access to the user's files, and a resumed run can tell whether
the setup changed (the text is part of the run identity).
"""

from __future__ import annotations

import functools
import hashlib
import math
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..units import GeV, MeV, TeV, parse_quantity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["BEAM_PARTICLES", "DetectorSource", "read_setup_text"]

#: Beam particles a setup can be run with (the H4/M2 primaries of :mod:`na64.beam`).
BEAM_PARTICLES = ("e-", "e+", "mu-", "mu+", "pi-", "pi+", "K-", "K+", "p", "pbar")


def read_setup_text(name_or_path: str | Path, *, field: str = "setup") -> tuple[str, str]:
    """Return ``(name, TOML text)`` of a shipped setup name or a path to a TOML file.

    The setup is validated with :func:`na64.detector.load_setup` first, so a bad name,
    a missing file or an invalid setup raises its :class:`InputError` (``field`` names the
    setup in the errors about the file itself).
    """
    from ..detector.setup import list_setups, load_setup

    setup = load_setup(name_or_path, field=field)
    path = Path(name_or_path)
    if isinstance(name_or_path, str) and name_or_path in list_setups():
        text = (resources.files("na64.data") / "setups" / f"{name_or_path}.toml").read_text(
            encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return str(setup.name), text


@functools.lru_cache(maxsize=4)
def _setup(toml_text: str, particle: str | None, energy: float | None,
           core: bool = False, admixtures: bool = True) -> Any:
    """Parse and validate the setup once per worker process; apply the beam overrides.

    A beam particle that the setup lists as an admixture of its beam becomes the primary
    and leaves the admixtures; without ``admixtures`` the beam has none (its tail stays);
    with ``core`` there are no admixtures and no tail at all.
    """
    from ..detector.setup import setup_from_dict

    data = tomllib.loads(toml_text)
    beam = dict(data.get("beam") or {})
    if particle is not None:
        beam["particle"] = particle
        beam["admixtures"] = [a for a in beam.get("admixtures", ())
                              if not (isinstance(a, dict) and a.get("particle") == particle)]
    if core or not admixtures:
        beam["admixtures"] = []
    if core:
        beam.pop("tail", None)
    if energy is not None:
        beam["energy"] = f"{energy / MeV!r}MeV"
    data["beam"] = beam
    setup = setup_from_dict(data, source="setup")
    _ = setup.beam_energy  # validates the energy text
    return setup


@dataclass(frozen=True)
class DetectorSource:
    """Fast detector simulation of a setup: ``source(n, rng)`` returns ``n`` events.

    Parameters
    ----------
    setup_name
        Name recorded in the provenance.
    setup_toml
        Full text of the setup TOML.
    particle
        Beam particle overriding the setup's ``[beam].particle`` (``None``: keep it).
    energy
        Beam energy in MeV overriding ``[beam].energy`` (``None``: keep it).
    core
        Simulate only the Gaussian core of the primary particle (no tail, no admixtures).
    reconstruct
        Also write the reconstructed columns (:data:`na64.pipeline.RECO_COLUMNS`).
    admixtures
        Keep the admixtures of the setup's beam (``False``: the primary particle alone,
        with its momentum tail).
    """

    setup_name: str
    setup_toml: str
    particle: str | None = None
    energy: float | None = None
    core: bool = False
    reconstruct: bool = False
    admixtures: bool = True

    @classmethod
    def from_options(
        cls, setup: str, beam: str | None = None, energy: str | float | None = None, *,
        core: bool = False, reconstruct: bool = False, admixtures: bool = True,
    ) -> DetectorSource:
        """Build and validate a source from command-line values (``--setup --beam --energy
        --beam-core --admixtures``).

        Raises
        ------
        InputError
            Unknown setup or invalid setup file; ``--beam`` not one of
            :data:`BEAM_PARTICLES`; ``--energy`` not in (particle mass, 1 TeV].
        """
        if beam is not None and beam not in BEAM_PARTICLES:
            raise InputError("--beam", f"must be one of {', '.join(BEAM_PARTICLES)}; got {beam!r}")
        e = None
        if energy is not None:
            e = parse_quantity(energy, "energy", field="--energy")
            if not 0 < e <= 1 * TeV:
                raise InputError("--energy", f"must be in (0, 1 TeV], got {e / GeV:g} GeV")
        name, text = read_setup_text(setup, field="--setup")
        source = cls(name, text, beam, e, core, reconstruct, admixtures)
        try:
            resolved = _setup(text, beam, e, core, admixtures)
        except InputError as exc:
            if exc.field.startswith("beam.energy") and e is not None:
                raise InputError("--energy", exc.message) from None
            if exc.field.startswith("beam.particle") and beam is not None:
                raise InputError("--beam", exc.message) from None
            raise
        _check_beam(resolved, overridden=e is not None)
        return source

    def setup(self) -> Any:
        """The validated :class:`na64.detector.Setup` with the beam overrides applied."""
        return _setup(self.setup_toml, self.particle, self.energy, self.core, self.admixtures)

    def __call__(self, n_events: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Simulate ``n_events`` events with :func:`na64.pipeline.simulate_events`."""
        from ..pipeline import simulate_events

        return dict(simulate_events(self.setup(), n_events, rng, core=self.core,
                                    reconstruct=self.reconstruct))

    def describe(self) -> dict[str, Any]:
        """Identity: setup name, SHA-256 of its TOML text, beam overrides."""
        return {
            "kind": "detector",
            "setup": self.setup_name,
            "setup_sha256": hashlib.sha256(self.setup_toml.encode()).hexdigest(),
            "particle": self.particle,
            "energy_MeV": self.energy,
            "core": self.core,
            "reconstruct": self.reconstruct,
            # (recorded only when dropped: a default source's identity has no such key,
            # so that its checkpoints stay resumable by versions without the option)
            **({} if self.admixtures else {"admixtures": False}),
        }


def _check_beam(setup: Any, overridden: bool) -> None:
    """Reject a beam the beam model cannot produce (energy at or below the mass, ...)."""
    from ..beam.config import load_beam
    from ..beam.particles import PARTICLES

    energy_field = "--energy" if overridden else "beam.energy"
    particle = setup.beam_particle
    if particle in PARTICLES and setup.beam_energy <= PARTICLES[particle].mass:
        raise InputError(energy_field, f"must exceed the {particle} mass "
                         f"({PARTICLES[particle].mass / MeV:.4g} MeV), got "
                         f"{setup.beam_energy / MeV:.4g} MeV")
    if not math.isfinite(setup.beam_energy):
        raise InputError(energy_field, "must be a finite energy")
    try:
        load_beam(setup.beam)
    except InputError as exc:
        if overridden and exc.field.startswith("beam.energy"):
            raise InputError("--energy", exc.message) from None
        raise
