"""The Analysis tab's worker-thread analysis and its cache in the store."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from instruments.store import ResponseStore, cache, head_revision
from instruments.ui import analyst

REPO = Path(__file__).resolve().parents[2]
DEMO_CSV = REPO / "data" / "demo" / "alliance_demo.csv"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory) -> str:
    tmp = tmp_path_factory.mktemp("cache")
    data = pd.read_csv(DEMO_CSV, dtype={"alliance_id": str, "firm_role": str, "comment": str})
    path = tmp / "demo.csv"
    data.head(60).to_csv(path, index=False)
    url = f"sqlite:///{tmp / 'demo.sqlite'}"
    assert main(["demo", "--db", url, "--no-serve", "--data", str(path), "--no-summary"]) == 0
    return url


def _wait(job: analyst.AnalysisJob, limit: float = 300.0) -> analyst.AnalysisJob:
    t = time.perf_counter()
    while not job.done and time.perf_counter() - t < limit:
        time.sleep(0.2)
    return job


def test_schema_has_the_cache_table(demo_url):
    from instruments.store import current_revision
    with ResponseStore(demo_url) as store:
        assert current_revision(store.engine) == head_revision()
        assert cache.get(store, "0" * 64) is None


@pytest.mark.slow  # two full analyses of the demo subset (about a minute on a busy machine)
def test_analysis_runs_in_a_thread_is_cached_and_shared(demo_url):
    with ResponseStore(demo_url) as store:
        cache.forget(store, "demo")
        job = analyst.start_analysis(store, "demo", seed=1, bootstrap=20)
        # a second study lead asking for the same analysis joins the running job
        again = analyst.start_analysis(store, "demo", seed=1, bootstrap=20)
        assert again is job or again.done
        _wait(job)
        assert job.error is None, job.error
        html, analysis = job.result
        assert "<html" in html.lower() and analysis["n_raw"] >= 10
        assert job.fraction == 1.0
        # a refresh: the same data and settings come from the store, at once (done when
        # it is handed back, nothing run: the analysis itself takes half a minute)
        hit = analyst.start_analysis(store, "demo", seed=1, bootstrap=20)
        assert hit.done and hit.message == "From the cache."
        assert hit.result[0] == html
        # the verdict table comes back from the store as the analysis gave it
        assert analysis["hypotheses"], "the analysis of the demo subset tested no hypothesis"
        assert hit.result[1]["hypotheses"] == json.loads(json.dumps(analysis["hypotheses"]))
        assert hit.result[1]["decision"] == analysis["decision"]
        # the tab runs the same analysis as the `report` command: its measurement model
        # uses the pipeline's default estimator (MLR + FIML over every item took minutes)
        from analysis.study.pipeline import DEFAULT_ESTIMATOR

        assert analysis["provenance"]["estimator"]["measurement"] == DEFAULT_ESTIMATOR
        # other settings are another analysis
        other = analyst.start_analysis(store, "demo", seed=2, bootstrap=20)
        assert not (other.done and other.message == "From the cache.")
        _wait(other)
        assert cache.forget(store, "demo") == 2


def test_key_follows_data_and_settings():
    a = analyst.cache_key("a" * 64, {"seed": 1, "bootstrap": 20, "estimator": "MLR"})
    assert a == analyst.cache_key("a" * 64, {"bootstrap": 20, "seed": 1, "estimator": "MLR"})
    assert a != analyst.cache_key("b" * 64, {"seed": 1, "bootstrap": 20, "estimator": "MLR"})
    assert a != analyst.cache_key("a" * 64, {"seed": 2, "bootstrap": 20, "estimator": "MLR"})


def test_key_follows_the_hypotheses_declaration(tmp_path, monkeypatch):
    """The key hashes the declaration's bytes without parsing it: the hash is the one the
    analysis records, and another declaration is another key."""
    from analysis.study import hypotheses

    assert hypotheses.hypotheses_sha256() == hypotheses.load_hypotheses().sha256
    settings = {"seed": 1, "bootstrap": 20, "estimator": "MLR"}
    a = analyst.cache_key("a" * 64, settings)
    other = tmp_path / "hypotheses.yaml"
    other.write_bytes(hypotheses.DEFAULT_PATH.read_bytes() + b"\n# amended\n")
    monkeypatch.setattr(hypotheses, "DEFAULT_PATH", other)
    assert analyst.cache_key("a" * 64, settings) != a
    # a declaration that cannot be read is the same clear error as when it is loaded
    from analysis.errors import InstrumentError

    monkeypatch.setattr(hypotheses, "DEFAULT_PATH", tmp_path / "gone.yaml")
    with pytest.raises(InstrumentError, match="Cannot read hypotheses file"):
        analyst.cache_key("a" * 64, settings)


def test_too_few_responses_is_a_clear_error(tmp_path):
    from analysis.errors import DataError

    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    data = pd.read_csv(DEMO_CSV, dtype={"alliance_id": str, "firm_role": str, "comment": str})
    path = tmp_path / "few.csv"
    data.head(4).to_csv(path, index=False)
    assert main(["demo", "--db", url, "--no-serve", "--data", str(path), "--no-summary"]) == 0
    with ResponseStore(url) as store, pytest.raises(DataError, match="at least"):
        analyst.start_analysis(store, "demo", seed=1, bootstrap=20)


def test_unchanged_data_are_found_by_the_marker_without_reading_them(demo_url, monkeypatch):
    """The tab shows a cached analysis by the store's data marker, without laying the study
    out; data changed and changed back are read again, found by their fingerprint, and
    found by the new marker from then on."""
    from analysis.study.pipeline import DEFAULT_ESTIMATOR, data_sha256
    from instruments.fieldwork.actions import exclude_from_analysis, include_in_analysis
    from instruments.fieldwork.invitations import fieldwork_figures
    from instruments.store.models import Respondent

    with ResponseStore(demo_url) as store:
        cache.forget(store, "demo")
        settings = {"seed": 1, "bootstrap": 20, "estimator": DEFAULT_ESTIMATOR}
        data = store.wide("demo", completed_only=True)
        sha = data_sha256(data)
        key = analyst.cache_key(sha, settings, fieldwork_figures(store, "demo"))
        cache.put(store, "demo", key, report_html="<html>kept</html>", analysis={"n": len(data)},
                  data_sha256=sha, settings=settings, seconds=1.0)  # fmt: skip
        reads: list[int] = []
        wide = store.wide

        def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            reads.append(1)
            return wide(*args, **kwargs)

        monkeypatch.setattr(store, "wide", counted)

        def shown() -> str:
            job = analyst.start_analysis(store, "demo", seed=1, bootstrap=20)
            assert job.done and job.message == "From the cache.", job.message
            return job.result[0]

        assert shown() == "<html>kept</html>" and len(reads) == 1  # found by the fingerprint
        assert shown() == "<html>kept</html>" and len(reads) == 1  # by the marker: no read
        first = int(data["respondent_id"].iloc[0])
        with store.session() as session:
            inv = session.get(Respondent, first).invitation_id
        exclude_from_analysis(store, "demo", int(inv), "checked")
        include_in_analysis(store, "demo", int(inv), "checked again")
        assert shown() == "<html>kept</html>" and len(reads) == 2  # read, the same data
        assert shown() == "<html>kept</html>" and len(reads) == 2  # the new marker
        cache.forget(store, "demo")
