"""Pure, vectorized physics: production cross sections, spectra and form factors.

Modules
-------
dark_brem
    Dark bremsstrahlung l N -> l N X (ETL, IWW, WW) for e+-, mu+- on any target.
form_factors
    Elastic and inelastic nuclear/atomic form factors and the effective photon flux.
"""
