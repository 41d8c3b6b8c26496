"""Final states of hard muon-nuclear interactions from Geant4, for the NA64mu background.

A 160 GeV muon that gives a fraction v >= 0.45 of its energy to a nucleus (a virtual
photon, mu A -> mu X) leaves with p_out in the signal box; it fakes the signal only if the
hadronic system X is not seen.  This script turns the raw output of a Geant4 11.4 run
(the physics list of the Geant4 reference used for the calorimeters, with the muon's
electromagnetic processes switched off so that its first interaction is muon-nuclear:
G4MuonNuclearProcess, G4KokoulinMuonNuclearXS, G4MuonVDNuclearModel; one long lead block;
at the first interaction with v >= v_min the muon's energy before and after and every
secondary are written and the event is ended) into the small table
``src/na64/data/geant4/muon_nuclear_160GeV.json`` that
:mod:`na64.background.muon_nuclear_escape` reads:

* every secondary is classed as *prompt* -- photons, e+-, pi0, eta, eta', omega, rho
  (electromagnetic: absorbed in the 40 X0 target), charged hadrons and nuclear fragments
  (they ionize: seen in the target, as a track behind it or in the calorimeters) -- or as a
  *neutral long-lived hadron* (n, anti-n, K0_L, K0_S, K0, Lambda, Sigma0, Xi0, phi; any code
  not listed is put here too, which can only raise the escape);
* per interaction: v, E_prompt (total energy of mesons, kinetic energy of baryons and
  nuclei) and the neutral hadrons (energy, direction);
* the table keeps the number of interactions, the counts with E_prompt below 2, 4, 6, 10,
  20 GeV, the histogram of v, and the neutral hadrons of every interaction with E_prompt
  below ``--quiet`` (20 GeV): the only ones that can pass a calorimeter cut at or below it.

    python validation/g4_muon_nuclear_reference.py RAW.bin [RAW.bin ...] [--out FILE]

Each RAW.bin has its side file RAW.bin.json (particle, momentum, material, seed, events,
muon-nuclear interactions, written records, CPU time).  Record layout (float32): a header
(n_secondaries, E_mu before, E_mu after [MeV], muon direction after (3)) then n rows of
(PDG code, kinetic energy [MeV], px, py, pz [MeV]).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "src" / "na64" / "data" / "geant4" / "muon_nuclear_160GeV.json"

#: Electromagnetic or promptly decaying to photons / charged pions: seen in the target.
PROMPT_EM = {22, 11, -11, 111, 221, 331, 223, 113, 213, -213, 421, -421, 411, -411}
#: Charged mesons: their total energy is prompt.
CHARGED_MESONS = {211, -211, 321, -321}
#: Charged baryons (kinetic energy prompt).
CHARGED_BARYONS = {2212, -2212, 3222, -3222, 3112, -3112, 3312, -3312, 3334, -3334}
#: Neutral hadrons that can leave the target: no track, no prompt photons.
NEUTRAL_LONG = {2112, -2112, 130, 310, 311, -311, 3122, -3122, 3212, -3212, 3322, -3322, 333}
NEUTRINOS = {12, -12, 14, -14, 16, -16}
THRESHOLDS_GEV = (2.0, 4.0, 6.0, 10.0, 20.0)
V_EDGES = np.linspace(0.45, 1.0, 12)


def read_records(path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """(header, secondaries) per record; a truncated last record is dropped."""
    a = np.fromfile(path, dtype=np.float32)
    out, i = [], 0
    while i + 6 <= a.size:
        n = int(a[i])
        if i + 6 + 5 * n > a.size:
            break
        out.append((a[i:i + 6].astype(float), a[i + 6:i + 6 + 5 * n].reshape(n, 5).astype(float)))
        i += 6 + 5 * n
    return out


def classify(sec: np.ndarray) -> tuple[float, list[list[float]], dict[int, int]]:
    """(E_prompt [MeV], neutral hadrons [[pdg, E, tx, ty]], unlisted codes) of one record."""
    prompt, neutrals, other = 0.0, [], {}
    for pdg_f, ek, px, py, pz in sec:
        pdg = round(pdg_f)
        p2 = px * px + py * py + pz * pz
        mass = max((p2 - ek * ek) / (2.0 * ek), 0.0) if ek > 0 else 0.0
        if pdg in NEUTRINOS:
            continue
        if pdg in PROMPT_EM or pdg in CHARGED_MESONS:
            prompt += ek + mass
        elif pdg in CHARGED_BARYONS or abs(pdg) > 1_000_000_000:
            prompt += ek
        else:
            if pdg not in NEUTRAL_LONG:
                other[pdg] = other.get(pdg, 0) + 1
            energy = ek + mass if abs(pdg) < 1000 else ek
            neutrals.append([pdg, energy, px / pz if pz > 0 else 1e3, py / pz if pz > 0 else 1e3])
    return prompt, neutrals, other


def build(paths: list[Path], quiet_gev: float) -> dict:
    runs, v_all, prompt_all = [], [], []
    quiet, unlisted = [], {}
    v_min = None
    for path in paths:
        meta = json.loads(Path(str(path) + ".json").read_text())
        v_min = meta["vmin"] if v_min is None else v_min
        if meta["vmin"] != v_min or meta["p_GeV"] != 160 or meta["material"] != "G4_Pb":
            raise SystemExit(f"{path}: a different configuration ({meta})")
        recs = read_records(path)
        if len(recs) != meta["written"]:
            raise SystemExit(f"{path}: {len(recs)} records, side file says {meta['written']}")
        runs.append({k: meta[k] for k in ("seed", "n_events", "interactions", "written",
                                           "cpu_s")})
        for hdr, sec in recs:
            e0, e1 = hdr[1], hdr[2]
            v = (e0 - e1) / e0
            prompt, neutrals, other = classify(sec)
            for k, c in other.items():
                unlisted[k] = unlisted.get(k, 0) + c
            v_all.append(v)
            prompt_all.append(prompt)
            if prompt < quiet_gev * 1e3:
                quiet.append({"v": round(v, 5), "e_prompt_GeV": round(prompt / 1e3, 4),
                              "neutrals": [[n[0], round(n[1] / 1e3, 4), round(n[2], 6),
                                            round(n[3], 6)] for n in neutrals]})
    v_arr, p_arr = np.array(v_all), np.array(prompt_all) / 1e3
    return {
        "description": (
            "Hard muon-nuclear interactions (v = nu/E >= v_min) of 160 GeV mu+ in lead: "
            "Geant4 11.4.p01 (G4MuonNuclearProcess: G4KokoulinMuonNuclearXS, "
            "G4MuonVDNuclearModel, i.e. Bertini below and FTFP above a 10 GeV virtual "
            "photon; the data-free FTFP_BERT-like physics list of the project's Geant4 "
            "calorimeter reference), the muon's electromagnetic processes off; made by "
            "validation/g4_muon_nuclear_reference.py"),
        "material": "G4_Pb",
        "beam": "mu+",
        "beam_energy_GeV": 160.0,
        "v_min": v_min,
        "interactions": int(v_arr.size),
        "runs": runs,
        "prompt_classes": {
            "electromagnetic_or_prompt_decay": sorted(PROMPT_EM),
            "charged_mesons_total_energy": sorted(CHARGED_MESONS),
            "charged_baryons_and_nuclei_kinetic_energy": sorted(CHARGED_BARYONS),
        },
        "neutral_long_lived": sorted(NEUTRAL_LONG),
        "unlisted_codes_counted_as_neutral": {str(k): v for k, v in sorted(unlisted.items())},
        "e_prompt_below_GeV": {f"{t:g}": int(np.sum(p_arr < t)) for t in THRESHOLDS_GEV},
        "e_prompt_fraction_quantiles": {f"{q:g}": round(float(np.quantile(p_arr / (v_arr * 160.0), q)), 4)
                                        for q in (0.0001, 0.001, 0.01, 0.1, 0.5)},
        "v_histogram": {"edges": [round(float(e), 4) for e in V_EDGES],
                        "counts": np.histogram(v_arr, V_EDGES)[0].tolist()},
        "quiet_threshold_GeV": quiet_gev,
        "quiet": quiet,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("raw", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--quiet", type=float, default=20.0, help="GeV")
    args = ap.parse_args(argv)
    table = build(sorted(args.raw), args.quiet)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=args.out.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(table, f, indent=1)
        f.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, args.out)
    print(f"{table['interactions']} interactions with v >= {table['v_min']}; "
          f"E_prompt below {table['e_prompt_below_GeV']} GeV; "
          f"{len(table['quiet'])} kept below {args.quiet:g} GeV -> {args.out}")
    print("E_prompt / nu quantiles:", table["e_prompt_fraction_quantiles"])
    print("unlisted codes (counted as neutral):", table["unlisted_codes_counted_as_neutral"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
