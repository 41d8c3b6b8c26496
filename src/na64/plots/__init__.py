"""Publication-style figures (mplhep styling): limit plots, distributions, event displays."""
