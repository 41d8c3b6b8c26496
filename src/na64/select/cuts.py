"""Declarative cuts, selections, cut-flow tables and N-1 distributions.

A :class:`Cut` names a column (or a function of the events), a comparison and a value that
may carry a unit; a :class:`Selection` is an ordered list of cuts.  Events are columnar:
any mapping from column names to equal-length arrays (a ``dict`` of numpy arrays, a
pandas ``DataFrame``, an awkward record array, a pyarrow ``Table``).

Uncertainties of efficiencies
-----------------------------
For unweighted events ε = k/N has the binomial standard error sqrt(ε(1-ε)/N).  For weighted
events ε = W_pass/W, with the pass/fail sub-samples independent,

    Var(ε) = [(1-ε)² Σ_pass w² + ε² Σ_fail w²] / W²,

which reduces to the binomial formula for unit weights (M. Paterno, "Calculating
efficiencies and their uncertainties", FERMILAB-TM-2286-CD (2004); the normal
approximation of ROOT's TEfficiency with weights).  Both are normal approximations: for
k = 0 or k = N they give 0 and an interval method should be used instead.
"""

from __future__ import annotations

import dataclasses
import json
import math
import operator
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError
from ..units import Dimension, format_quantity, parse_quantity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Cut", "CutFlow", "Op", "Selection", "efficiency"]

Op = Literal["<", "<=", ">", ">=", "==", "!=", "between", "outside", "abs<", "abs<="]
_OPS: dict[str, Callable[[np.ndarray, Any], np.ndarray]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "between": lambda a, v: (a >= v[0]) & (a < v[1]),
    "outside": lambda a, v: (a < v[0]) | (a >= v[1]),
    "abs<": lambda a, v: np.abs(a) < v,
    "abs<=": lambda a, v: np.abs(a) <= v,
}
_RANGE_OPS = ("between", "outside")

Events = Mapping[str, Any]
Column = str | Callable[[Events], Any]


def _parse_value(value: Any, op: str, dimension: Dimension, field_name: str) -> Any:
    """Turn a config value (number, bool, ``"50GeV"``, pair) into internal units."""
    if op in _RANGE_OPS:
        if isinstance(value, str) and ":" in value:
            value = value.split(":")
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise InputError(field_name, f"op {op!r} needs a pair [low, high], got {value!r}")
        lo, hi = (_parse_value(v, "<", dimension, field_name) for v in value)
        if not lo < hi:
            raise InputError(field_name, f"range low must be < high, got {value!r}")
        return (lo, hi)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, str, np.integer, np.floating)):
        return parse_quantity(value if isinstance(value, str) else float(value), dimension,
                              field=field_name)
    raise InputError(field_name, f"must be a number, a quantity such as '50GeV' or a bool, "
                                 f"got {value!r}")


@dataclass(frozen=True)
class Cut:
    """One named selection requirement: ``column op value``.

    Parameters
    ----------
    name
        Unique identifier (config key, cut-flow row).
    column_or_function
        Column name, or a function ``f(events) -> array`` of the quantity cut on.
    op
        ``"<"``, ``"<="``, ``">"``, ``">="``, ``"=="``, ``"!="``, ``"abs<"``, ``"abs<="``,
        ``"between"`` (low <= v < high) or ``"outside"``.
    value
        Threshold: a number in internal units, a quantity string (``"50GeV"``) or a bool;
        a pair for ``between`` / ``outside``.
    description
        Human-readable meaning, shown in cut-flow tables and as the N-1 axis label.
    dimension
        Dimension of the value, used to parse strings and bare numbers (a bare energy is GeV).
    source
        Where the default value comes from (paper and section).
    enabled
        A disabled cut is kept in the configuration but passes every event (its column
        need not exist).
    """

    name: str
    column_or_function: Column
    op: Op
    value: Any
    description: str = ""
    dimension: Dimension = "dimensionless"
    source: str = ""
    enabled: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise InputError("cut.name", f"must be an identifier such as 'ecal_max', got {self.name!r}")
        if self.op not in _OPS:
            raise InputError(f"{self.name}.op", f"must be one of {sorted(_OPS)}, got {self.op!r}")
        if not (isinstance(self.column_or_function, str) or callable(self.column_or_function)):
            raise InputError(f"{self.name}.column", "must be a column name or a function of the events")
        object.__setattr__(self, "value", _parse_value(self.value, self.op, self.dimension, self.name))

    @property
    def label(self) -> str:
        """``description`` or, failing that, the column name."""
        if self.description:
            return self.description
        col = self.column_or_function
        return col if isinstance(col, str) else getattr(col, "__name__", self.name)

    def values(self, events: Events) -> np.ndarray:
        """The quantity this cut acts on, as a 1-d numpy array."""
        col = self.column_or_function
        if isinstance(col, str):
            try:
                raw = events[col]
            except (KeyError, IndexError, ValueError) as exc:
                raise InputError(f"{self.name}.column", f"events have no column {col!r}") from exc
        else:
            raw = col(events)
        arr = np.asarray(raw)
        if arr.ndim != 1:
            raise InputError(f"{self.name}.column", f"must give a 1-d array, got shape {arr.shape}")
        return arr

    def mask(self, events: Events) -> np.ndarray:
        """Boolean array: which events pass (all of them if the cut is disabled)."""
        vals = self.values(events)
        if not self.enabled:
            return np.ones(vals.shape, dtype=bool)
        with np.errstate(invalid="ignore"):
            return np.asarray(_OPS[self.op](vals, self.value), dtype=bool)

    def value_text(self) -> str:
        """The threshold formatted with a readable unit."""
        def one(v: Any) -> str:
            if isinstance(v, bool) or self.dimension == "dimensionless":
                return f"{v:g}" if isinstance(v, float) else str(v)
            return format_quantity(float(v), self.dimension)

        if self.op in _RANGE_OPS:
            return f"[{one(self.value[0])}, {one(self.value[1])})"
        return one(self.value)

    def __str__(self) -> str:
        col = self.column_or_function
        lhs = col if isinstance(col, str) else f"{getattr(col, '__name__', 'f')}(events)"
        text = f"{self.name}: {lhs} {self.op} {self.value_text()}"
        return text if self.enabled else text + " (disabled)"


def _weighted_efficiency(w_pass: np.ndarray, w_fail: np.ndarray) -> tuple[float, float]:
    total = float(w_pass.sum() + w_fail.sum())
    if total <= 0:
        return 0.0, 0.0
    eps = float(w_pass.sum()) / total
    var = ((1 - eps) ** 2 * float(np.sum(w_pass**2)) + eps**2 * float(np.sum(w_fail**2))) / total**2
    return eps, math.sqrt(max(var, 0.0))


def efficiency(passed: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, float]:
    """Efficiency of a boolean mask and its standard error (binomial or weighted).

    See the module docstring for the formulas.  An empty sample gives ``(0, 0)``.
    """
    p = np.asarray(passed, dtype=bool)
    w = np.ones(p.shape) if weights is None else np.asarray(weights, dtype=float)
    return _weighted_efficiency(w[p], w[~p])


@dataclass(frozen=True)
class CutFlow:
    """A cut-flow table: one row per step (``"all"`` first, then each cut in order).

    Attributes (arrays, one entry per row)
    --------------------------------------
    names, descriptions
        Step names and descriptions.
    n
        Raw number of events passing this and all previous cuts.
    sum_w, sum_w_err
        Weighted sum and its MC error sqrt(Σ w²).
    eff_rel, eff_rel_err
        Efficiency relative to the previous step, with its uncertainty.
    eff_tot, eff_tot_err
        Efficiency relative to all events, with its uncertainty.
    weighted
        Whether weights were given.
    """

    names: tuple[str, ...]
    descriptions: tuple[str, ...]
    n: np.ndarray
    sum_w: np.ndarray
    sum_w_err: np.ndarray
    eff_rel: np.ndarray
    eff_rel_err: np.ndarray
    eff_tot: np.ndarray
    eff_tot_err: np.ndarray
    weighted: bool = False

    _COLUMNS = ("n", "sum_w", "sum_w_err", "eff_rel", "eff_rel_err", "eff_tot", "eff_tot_err")

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.to_records())

    def __getitem__(self, name: str) -> dict[str, Any]:
        if name not in self.names:
            raise KeyError(f"no cut-flow row {name!r}; rows: {', '.join(self.names)}")
        return self.to_records()[self.names.index(name)]

    @classmethod
    def from_sums(cls, names: Sequence[str], descriptions: Sequence[str], n: ArrayLike,
                  sum_w: ArrayLike, sum_w2: ArrayLike, weighted: bool = False) -> CutFlow:
        """A cut-flow from the cumulative counts of each row: events ``n``, Σw and Σw² of
        the events passing that row and all before it (row 0: all events).

        The efficiencies follow from these alone: the events failing row i are those of
        row i − 1 minus those of row i.
        """
        nn = np.asarray(n, dtype=np.int64)
        s = np.asarray(sum_w, dtype=float)
        q = np.asarray(sum_w2, dtype=float)

        def eff(sp: float, qp: float, sf: float, qf: float) -> tuple[float, float]:
            total = sp + sf
            if total <= 0:
                return 0.0, 0.0
            e = sp / total
            var = ((1 - e) ** 2 * qp + e**2 * max(qf, 0.0)) / total**2
            return e, math.sqrt(max(var, 0.0))

        rel = [eff(s[i], q[i], s[max(i - 1, 0)] - s[i], q[max(i - 1, 0)] - q[i])
               for i in range(s.size)]
        tot = [eff(s[i], q[i], s[0] - s[i], q[0] - q[i]) for i in range(s.size)]
        return cls(tuple(names), tuple(descriptions), nn, s, np.sqrt(np.maximum(q, 0.0)),
                   np.array([r[0] for r in rel]), np.array([r[1] for r in rel]),
                   np.array([r[0] for r in tot]), np.array([r[1] for r in tot]), weighted)

    @classmethod
    def merge(cls, flows: Sequence[CutFlow]) -> CutFlow:
        """The cut-flow of the union of disjoint samples (e.g. the batches of a file)."""
        if not flows:
            raise InputError("flows", "nothing to merge")
        first = flows[0]
        if any(f.names != first.names for f in flows):
            raise InputError("flows", "cut-flows of different selections cannot be merged")
        return cls.from_sums(first.names, first.descriptions, sum(f.n for f in flows),
                             sum(f.sum_w for f in flows), sum(f.sum_w_err**2 for f in flows),
                             any(f.weighted for f in flows))

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per row (JSON-serializable)."""
        rows = []
        for i, (name, desc) in enumerate(zip(self.names, self.descriptions, strict=True)):
            row: dict[str, Any] = {"name": name, "description": desc}
            for col in self._COLUMNS:
                v = getattr(self, col)[i]
                row[col] = int(v) if col == "n" else float(v)
            rows.append(row)
        return rows

    def to_json(self) -> str:
        """The rows as a JSON list."""
        return json.dumps(self.to_records())

    def __str__(self) -> str:
        head = f"{'cut':<16} {'events':>10} "
        head += f"{'sum w':>22} " if self.weighted else ""
        head += f"{'eff (rel)':>18} {'eff (total)':>18}"
        lines = [head, "-" * len(head)]
        for r in self.to_records():
            line = f"{r['name']:<16} {r['n']:>10d} "
            if self.weighted:
                line += f"{r['sum_w']:>11.4g} ± {r['sum_w_err']:<8.2g} "
            line += f"{r['eff_rel']:>9.4f} ± {r['eff_rel_err']:<6.4f} "
            line += f"{r['eff_tot']:>9.4f} ± {r['eff_tot_err']:<6.4f}"
            lines.append(line)
        return "\n".join(lines)


class Selection:
    """An ordered list of uniquely named cuts.

    Examples
    --------
    >>> import numpy as np
    >>> from na64.units import GeV
    >>> sel = Selection([Cut("ecal_max", "ecal_energy", "<", "50GeV", "E_ECAL < 50 GeV",
    ...                      dimension="energy")])
    >>> events = {"ecal_energy": np.array([10.0, 80.0]) * GeV}
    >>> sel.mask(events).tolist()
    [True, False]
    """

    __slots__ = ("_index", "cuts", "name")

    cuts: tuple[Cut, ...]
    name: str
    _index: dict[str, int]

    def __init__(self, cuts: Sequence[Cut], name: str = "selection") -> None:
        cuts = tuple(cuts)
        for c in cuts:
            if not isinstance(c, Cut):
                raise InputError("cuts", f"every entry must be a Cut, got {type(c).__name__}")
        names = [c.name for c in cuts]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise InputError("cuts", f"cut names must be unique; repeated: {', '.join(dupes)}")
        self.cuts = cuts
        self.name = name
        self._index = {n: i for i, n in enumerate(names)}

    # ---------------------------------------------------------------- access
    @property
    def names(self) -> tuple[str, ...]:
        """Cut names in order."""
        return tuple(c.name for c in self.cuts)

    def __len__(self) -> int:
        return len(self.cuts)

    def __iter__(self) -> Iterator[Cut]:
        return iter(self.cuts)

    def __getitem__(self, name: str) -> Cut:
        return self.cuts[self._position(name)]

    def _position(self, name: str) -> int:
        if name not in self._index:
            raise InputError("cut", f"unknown cut {name!r}; cuts: {', '.join(self.names)}")
        return self._index[name]

    def __str__(self) -> str:
        return "\n".join([f"{self.name}:"] + [f"  {c}" for c in self.cuts])

    def __repr__(self) -> str:
        return f"Selection({list(self.cuts)!r}, name={self.name!r})"

    # ---------------------------------------------------------------- configuration
    def configure(self, config: Mapping[str, Any] | None) -> Selection:
        """A copy with values, columns or enabled flags replaced from a config mapping.

        Keys are cut names.  A value is either the new threshold (``"50GeV"``, ``2.5``,
        ``["97GeV", "103GeV"]``) or a table with any of ``value``, ``column``, ``op``,
        ``enabled``.  Unknown keys raise :class:`~na64.errors.InputError`.
        """
        if not config:
            return self
        if not isinstance(config, Mapping):
            raise InputError("selection", f"config must be a table/mapping, got {type(config).__name__}")
        cuts = list(self.cuts)
        for key, entry in config.items():
            i = self._position(str(key))
            cut = cuts[i]
            if isinstance(entry, Mapping):
                unknown = set(entry) - {"value", "column", "op", "enabled"}
                if unknown:
                    raise InputError(f"{key}", f"unknown keys {sorted(unknown)}; allowed: value, "
                                               f"column, op, enabled")
                changes: dict[str, Any] = {}
                if "op" in entry:
                    changes["op"] = entry["op"]
                if "value" in entry:
                    changes["value"] = entry["value"]
                elif "op" in entry:
                    changes["value"] = cut.value
                if "column" in entry:
                    if not isinstance(entry["column"], str):
                        raise InputError(f"{key}.column", "must be a column name")
                    changes["column_or_function"] = entry["column"]
                if "enabled" in entry:
                    if not isinstance(entry["enabled"], bool):
                        raise InputError(f"{key}.enabled", "must be true or false")
                    changes["enabled"] = entry["enabled"]
                cuts[i] = dataclasses.replace(cut, **changes)
            else:
                cuts[i] = dataclasses.replace(cut, value=entry)
        return Selection(cuts, self.name)

    def with_columns(self, columns: Mapping[str, str]) -> Selection:
        """A copy where cuts on column ``old`` read column ``new`` (``{old: new}``)."""
        cuts = [
            dataclasses.replace(c, column_or_function=columns[c.column_or_function])
            if isinstance(c.column_or_function, str) and c.column_or_function in columns else c
            for c in self.cuts
        ]
        return Selection(cuts, self.name)

    def configure_toml(self, path_or_text: str | Path, table: str | None = None) -> Selection:
        """:meth:`configure` from a TOML file or string (optionally one sub-table of it)."""
        text = str(path_or_text)
        try:
            p = Path(text)
            if "\n" not in text and "=" not in text and p.exists():
                text = p.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, OSError) as exc:
            raise InputError("selection", f"cannot read TOML: {exc}") from exc
        if table is not None:
            if table not in data or not isinstance(data[table], Mapping):
                raise InputError("selection", f"the TOML has no table [{table}]")
            data = data[table]
        return self.configure(data)

    # ---------------------------------------------------------------- evaluation
    def masks(self, events: Events) -> dict[str, np.ndarray]:
        """Per-cut boolean masks (each cut on its own)."""
        _check_columns(events, [c for c in self.cuts if c.enabled])
        n = _n_events(events, self.cuts)
        # a disabled cut passes everything and does not need its column
        out = {c.name: c.mask(events) if c.enabled else np.ones(n, dtype=bool) for c in self.cuts}
        sizes = {m.shape for m in out.values()}
        if len(sizes) > 1:
            raise InputError("events", f"columns have different lengths: {sorted(sizes)}")
        return out

    def mask(self, events: Events, *, exclude: str | Sequence[str] = ()) -> np.ndarray:
        """Events passing every cut (except those named in ``exclude``)."""
        skip = {exclude} if isinstance(exclude, str) else set(exclude)
        for name in skip:
            self._position(name)
        masks = [m for n, m in self.masks(events).items() if n not in skip]
        if not masks:
            return np.ones(_n_events(events, self.cuts), dtype=bool)
        return np.logical_and.reduce(masks)

    def cutflow(self, events: Events, weights: np.ndarray | None = None) -> CutFlow:
        """Sequential cut-flow table with efficiencies and their uncertainties."""
        masks = self.masks(events)
        n_ev = _n_events(events, self.cuts)
        if weights is None:
            w = np.ones(n_ev)
        else:
            w = np.asarray(weights, dtype=float)
            if w.shape != (n_ev,):
                raise InputError("weights", f"must have one entry per event ({n_ev}), got shape {w.shape}")
            if not np.all(np.isfinite(w)):
                raise InputError("weights", "must be finite")
        names = ["all"]
        descs = ["all events"]
        current = np.ones(n_ev, dtype=bool)
        rows = [self._row(current, current, current, w)]
        for cut in self.cuts:
            new = current & masks[cut.name]
            rows.append(self._row(new, current, np.ones(n_ev, dtype=bool), w))
            names.append(cut.name)
            descs.append(cut.label + ("" if cut.enabled else " (disabled)"))
            current = new
        cols = np.array(rows, dtype=float).T
        return CutFlow(tuple(names), tuple(descs), cols[0].astype(np.int64), cols[1], cols[2],
                       cols[3], cols[4], cols[5], cols[6], weights is not None)

    @staticmethod
    def _row(new: np.ndarray, prev: np.ndarray, every: np.ndarray, w: np.ndarray) -> list[float]:
        eff_rel, err_rel = _weighted_efficiency(w[new], w[prev & ~new])
        eff_tot, err_tot = _weighted_efficiency(w[new], w[every & ~new])
        return [float(new.sum()), float(w[new].sum()), math.sqrt(float(np.sum(w[new] ** 2))),
                eff_rel, err_rel, eff_tot, err_tot]

    def n_minus_1(self, events: Events, cut_name: str, bins: Any = 50,
                  weights: np.ndarray | None = None, *, range: tuple[float, float] | None = None,
                  ) -> Any:
        """Distribution of a cut's variable for events passing all *other* cuts.

        Parameters
        ----------
        cut_name
            The cut left out.
        bins
            Number of regular bins (range from ``range`` or from the data), or a sequence of
            bin edges (internal units).
        weights
            Optional event weights (the histogram then has Weight storage: sums of w and w²).
        range
            ``(low, high)`` for a number of bins.

        Returns
        -------
        hist.Hist
            One axis named after the cut; its ``label`` is the cut's description.  The cut
            value is in ``hist.metadata`` (``{"cut": str(cut), "value": value}``).
        """
        import hist  # listed in the dependencies; imported here to keep import time low

        cut = self[cut_name]
        keep = self.mask(events, exclude=cut_name)
        vals = cut.values(events).astype(float)[keep]
        w = None if weights is None else np.asarray(weights, dtype=float)[keep]
        axis: hist.axis.Regular | hist.axis.Variable
        if np.ndim(bins) == 0:
            nb = int(bins)
            if not 1 <= nb <= 1_000_000:
                raise InputError("bins", f"must be in [1, 1e6], got {bins!r}")
            if range is None:
                finite = vals[np.isfinite(vals)]
                lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
                # the upper edge of a Regular axis is exclusive: nudge it above the maximum
                hi = lo + 1.0 if hi <= lo else float(np.nextafter(hi, np.inf))
            else:
                lo, hi = float(range[0]), float(range[1])
                if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                    raise InputError("range", f"must be finite with low < high, got {range!r}")
            axis = hist.axis.Regular(nb, lo, hi, name=cut.name, label=cut.label)
        else:
            edges = np.asarray(bins, dtype=float)
            if edges.ndim != 1 or edges.size < 2 or not np.all(np.diff(edges) > 0):
                raise InputError("bins", "edges must be a strictly increasing sequence of >= 2 numbers")
            axis = hist.axis.Variable(edges, name=cut.name, label=cut.label)
        storage: Any = hist.storage.Double() if w is None else hist.storage.Weight()
        h = hist.Hist(axis, storage=storage)
        if w is None:
            h.fill(vals)
        else:
            h.fill(vals, weight=w)
        h.metadata = {"cut": str(cut), "value": cut.value}
        return h


def _check_columns(events: Events, cuts: Sequence[Cut]) -> None:
    """Raise one InputError naming every column the cuts need but the events lack."""
    missing = []
    for c in cuts:
        col = c.column_or_function
        if isinstance(col, str):
            try:
                events[col]
            except (KeyError, IndexError, ValueError):
                missing.append(f"{col} (cut {c.name})")
    if missing:
        raise InputError("events", f"missing columns: {', '.join(missing)}; rename them with the "
                                   f"selection's 'columns' table or the cut's 'column' key")


def _n_events(events: Events, cuts: Sequence[Cut]) -> int:
    for c in cuts:
        if c.enabled:
            return int(c.values(events).shape[0])
    try:
        first = next(iter(events.values()))
    except (StopIteration, AttributeError):
        return 0
    return int(np.asarray(first).shape[0])
