"""What produced a result: package versions, Python, the instrument, the data hash, the seed.

One builder for the analysis JSON (structured, ``None`` for what is unknown) and for the
report's build block (the same facts as text).
"""

from __future__ import annotations

import platform
from collections.abc import Iterable
from importlib import metadata
from typing import Any

#: Packages whose versions can change the numbers of an analysis.
ANALYSIS_PACKAGES = ("alliance-survey", "numpy", "pandas", "scipy", "statsmodels", "semopy",
                     "pingouin", "pydantic", "PyYAML")

#: Packages whose versions can change a rendered report (numbers or output).
REPORT_PACKAGES = ("alliance-survey", "numpy", "pandas", "scipy", "semopy", "statsmodels",
                   "pingouin", "matplotlib", "PyYAML")


def package_versions(packages: Iterable[str]) -> dict[str, str | None]:
    """``{"python": ..., package: version or None}`` in the order given."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def build_provenance(*, packages: Iterable[str] = ANALYSIS_PACKAGES, instrument: Any = None,
                     data_sha256: str | None = None, seed: int | None = None) -> dict[str, Any]:
    """The provenance of a result as JSON-ready data.

    Parameters
    ----------
    packages : iterable of str
        Distributions whose versions are recorded (after Python's).
    instrument : Instrument, optional
        Its ``id``, ``version`` and ``content_hash`` are recorded (``None`` if absent).
    data_sha256 : str, optional
        Fingerprint of the data analysed.
    seed : int, optional
        Seed of the random parts (bootstrap, simulation).

    Returns
    -------
    dict
        ``versions``, ``instrument`` (``None`` without one), ``data_sha256``, ``seed``.
    """
    inst = None if instrument is None else {
        "id": getattr(instrument, "id", None), "version": getattr(instrument, "version", None),
        "sha256": getattr(instrument, "content_hash", None)}
    return {"versions": package_versions(packages), "instrument": inst,
            "data_sha256": data_sha256, "seed": seed}


#: What the analysis provenance's ``data_sha256`` is the digest of
#: (:func:`analysis.study.pipeline.data_sha256`).
DATA_FINGERPRINT = "data fingerprint (SHA-256 of the analysed table, not of a file)"


def provenance_text(prov: dict[str, Any], data_label: str = "data SHA-256") -> dict[str, str]:
    """The facts of :func:`build_provenance` as labelled text, for the report's build block
    (``data_label`` names what ``data_sha256`` is the digest of)."""
    out = {k: ("not installed" if v is None else v) for k, v in prov["versions"].items()}
    inst = prov.get("instrument")
    if inst is not None:
        out["instrument"] = f"{_or_q(inst['id'])} {_or_q(inst['version'])}"
        out["instrument content hash"] = _or_q(inst["sha256"])
    out[data_label] = prov.get("data_sha256") or "not given"
    seed = prov.get("seed")
    out["seed"] = "not given" if seed is None else str(seed)
    return out


def _or_q(value: Any) -> str:
    return "?" if value is None else str(value)
