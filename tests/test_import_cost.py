"""Heavy front doors stay shut: the analysis imports the parts of a library it uses.

``statsmodels.api`` pulls in time series, graphics, formula parsing and ``scipy.signal``:
about 1.3 s on the 2-core machine, in the critical path of every ``analyze`` and of the
app's first analysis, for the OLS and ``add_constant`` the analysis uses."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = {"statsmodels.api", "statsmodels.formula.api"}


def _heavy_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
            [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        found += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names if n in HEAVY]
    return found


def test_no_module_of_the_package_imports_a_heavy_front_door() -> None:
    files = [*sorted((ROOT / "analysis").rglob("*.py")),
             *sorted((ROOT / "instruments").rglob("*.py")), ROOT / "streamlit_app.py"]
    assert len(files) > 50
    assert [hit for f in files for hit in _heavy_imports(f)] == []


def test_the_regressions_run_without_loading_statsmodels_api() -> None:
    code = ("import sys, numpy as np, pandas as pd\n"
            "from analysis.stats.regression import _ols\n"
            "rng = np.random.default_rng(1)\n"
            "x = pd.DataFrame(rng.normal(size=(50, 2)), columns=['a', 'b'])\n"
            "y = x.to_numpy() @ [1.0, -0.5] + rng.normal(size=50)\n"
            "res = _ols(y, x, 'HC3')\n"
            "print(round(float(res.params['a']), 6), 'statsmodels.api' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    slope, loaded = out.stdout.split()
    assert abs(float(slope) - 1.0) < 0.3 and loaded == "False"
