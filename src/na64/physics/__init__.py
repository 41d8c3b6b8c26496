"""Pure, vectorized physics: production cross sections, spectra, form factors, rates.

Modules
-------
annihilation
    Resonant positron annihilation on atomic electrons, e+ e- -> A' -> chi chi.
dark_brem
    Dark bremsstrahlung l N -> l N X (ETL, IWW, WW) for e+-, mu+- on any target; X a
    vector (dark photon), scalar, pseudoscalar (ALP Yukawa) or axial vector.
form_factors
    Elastic and inelastic nuclear/atomic form factors and the effective photon flux.
r_ratio
    The hadronic R ratio used for dark-photon decays into hadrons.
relic
    Thermal-relic targets for light dark matter.
widths
    Two-body decay widths of a vector boson and the dark photon's partial widths.
"""
