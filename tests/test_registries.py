"""Signal processes and background sources are registries chosen by name in an analysis."""

from __future__ import annotations

import numpy as np
import pytest

from na64.background import (
    MISSING_ENERGY_SOURCES,
    SOURCES,
    BackgroundSource,
    estimate_background,
    get_source,
    register_source,
    source_names,
)
from na64.errors import InputError
from na64.generate.processes import (
    PROCESSES,
    ProcessSample,
    SignalProcess,
    SignalRequest,
    get_process,
    process_names,
    register_process,
)
from na64.models import make_model
from na64.reach import Search, load_analysis
from na64.units import GeV, MeV

CFG = load_analysis("invisible_2016_2018")


def _analysis(tmp_path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "a.toml"
    path.write_text('extends = "invisible_2016_2018"\nname = "t"\n' + text, encoding="utf-8")
    return load_analysis(str(path))


def test_shipped_entries_are_registered() -> None:
    assert {"brem", "annihilation"} <= set(process_names())
    assert set(MISSING_ENERGY_SOURCES) <= set(source_names())
    assert CFG.background.sources == MISSING_ENERGY_SOURCES
    assert CFG.signal.processes == ("brem",)


def test_unknown_names_are_one_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=r"signal\.processes.*brem") as exc:
        _analysis(tmp_path, '[signal]\nprocesses = ["brem", "primakoff2"]\n')
    assert "\n" not in str(exc.value)
    with pytest.raises(InputError, match=r"background\.sources.*leakage"):
        _analysis(tmp_path, '[background]\nsources = ["leakage", "cosmics"]\n')
    with pytest.raises(InputError, match=r"signal\.model"):
        _analysis(tmp_path, '[signal]\nmodel = "nonsense"\n')
    with pytest.raises(InputError, match="unknown signal process"):
        get_process("nope")
    with pytest.raises(InputError, match="unknown background source"):
        get_source("nope")


def test_a_model_without_production_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # the ALP is a registered model, but no process of the analysis makes it
    with pytest.raises(InputError, match=r"^signal\.model: 'alp' is not produced by process 'brem'"):
        _analysis(tmp_path, '[signal]\nmodel = "alp"\n')


def test_the_model_object_reaches_the_processes() -> None:
    search = Search(CFG)
    req = search.request(50 * MeV)
    assert req.model.name == "dark-photon"
    assert req.model.mass == pytest.approx(50 * MeV)
    assert req.model.m_chi == pytest.approx(50 * MeV / CFG.signal.mass_ratio)  # type: ignore[attr-defined]
    wrong = SignalRequest(make_model("alp", mass=50 * MeV, g_agg=1e-4), "e-", 100 * GeV,
                          search.setup, 40 * GeV)
    with pytest.raises(InputError, match=r"signal\.model"):
        PROCESSES["brem"].sample(wrong, 10, np.random.default_rng(1))


def test_background_sources_chosen_by_name(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cfg = _analysis(tmp_path, '[background]\nsources = ["target_punch_through"]\nevents = 500\n')
    est = Search(cfg).background(np.random.default_rng(1))
    assert [s.name for s in est.sources] == [
        "hadron production in the target, n/K0L punch-through"]


def test_a_registered_source_is_used_when_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    name = "test_constant_source"

    def constant(ctx, rng, n):  # type: ignore[no-untyped-def]
        return BackgroundSource("constant", 1e-12 * ctx.energy / (100 * GeV), 0.0, "fixed", n)

    try:
        register_source(name, "a constant rate, for tests")(constant)
        with pytest.raises(ValueError, match="already registered"):
            register_source(name, "twice")(constant)
        cfg = _analysis(tmp_path, f'[background]\nsources = ["{name}"]\nevents = 100\n')
        est = Search(cfg).background(np.random.default_rng(1))
        assert est.per_eot == pytest.approx(1e-12)
        ctx = Search(CFG).background_context
        assert estimate_background(ctx, np.random.default_rng(1), sources=[name]).per_eot \
            == pytest.approx(1e-12)
    finally:
        SOURCES.pop(name, None)


def test_a_source_with_nothing_to_estimate_leaves_a_note() -> None:
    ctx = Search(CFG).background_context
    setup = ctx.pipeline.setup
    from na64.background import BackgroundContext
    from na64.pipeline import EventPipeline

    bare = setup.model_copy(update={"upstream": setup.upstream.model_copy(
        update={"layers": (), "include_trackers": False})})
    ctx2 = BackgroundContext(EventPipeline(bare, ctx.pipeline.beam), ctx.selection)
    est = estimate_background(ctx2, np.random.default_rng(1), sources=["upstream_electronuclear"],
                              n_events=200)
    assert est.sources == ()
    assert any("not estimated" in n for n in est.notes)


def test_a_registered_process_is_used_when_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    class Monochromatic(SignalProcess):
        """Every beam electron gives the particle 90% of its energy at the target face."""

        name = "test_monochromatic"
        description = "test process"
        models = ("dark-photon",)

        def sample(self, request, n, rng, *, reweight=None):  # type: ignore[no-untyped-def]
            self.check(request)
            truth = {"e_aprime": np.full(n, 0.9 * request.energy),
                     "e_emitter": np.full(n, request.energy),
                     "from_primary": np.zeros(n, bool), "z": np.zeros(n),
                     "theta": np.zeros(n), "phi": np.zeros(n),
                     "weight": np.full(n, 1e-9 / n)}
            return ProcessSample(self.name, truth, request.e_min)

    try:
        register_process(Monochromatic)
        cfg = _analysis(tmp_path, '[signal]\nprocesses = ["test_monochromatic"]\n')
        point = Search(cfg).signal_point(20 * MeV, np.random.default_rng(2), n_events=300)
        assert point.production == pytest.approx(1e-9)
        # 10 GeV visible: a clean electron shower well inside the box, so nearly all pass
        assert 0.85 < point.efficiency <= 1.0
    finally:
        PROCESSES.pop("test_monochromatic", None)


def test_model_flag_is_validated_like_the_file(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for model, text in (("nonsense", "unknown model 'nonsense'"),
                        ("scalar-mu", "unknown model 'scalar-mu' for the invisible mode")):
        code, _, err = cli(["reach", "invisible", "--model", model, "--out",
                            str(tmp_path / "o")])
        assert code == 2
        assert err.count("\n") == 1
        assert f"--model: {text}" in err
    assert not (tmp_path / "o").exists()
