"""Silent accepts the store refuses with the real questionnaire: no consent, and a
respondent the screening question screened out who carries on."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from analysis.errors import ResponseError
from instruments.fieldwork.invitations import create_invitations, create_study
from instruments.instrument.loader import load_instrument
from instruments.store import ResponseStore
from instruments.store.models import Answer, PageSubmission


@pytest.fixture(scope="module")
def instrument():  # noqa: ANN201
    return load_instrument()


def _answers(spec, inst, screen_ok: bool = True) -> dict:  # noqa: ANN001
    out: dict = {}
    checks = {c.id: c for c in inst.attention_checks}
    for f in spec.fields:
        if f.id == inst.consent.question:
            out[f.id] = int(inst.consent.accept_value)
        elif f.id == inst.screening.question:
            out[f.id] = max(f.codes) if screen_ok else min(f.codes)
        elif f.id in checks:
            out[f.id] = int(checks[f.id].correct[0])
        elif f.kind in ("coded", "boolean"):
            out[f.id] = f.codes[0]
        elif f.kind in ("integer", "number"):
            out[f.id] = f.min if f.min is not None else 1
    return out


def _rows(store: ResponseStore) -> tuple[int, int]:
    with store.session() as s:
        return (s.scalar(select(func.count()).select_from(PageSubmission)),
                s.scalar(select(func.count()).select_from(Answer)))


def test_consent_refused_is_stored_nowhere(db_url: str, instrument) -> None:  # noqa: ANN001
    store = ResponseStore(db_url, instrument=instrument)
    create_study(store, "real")
    (inv,) = create_invitations(store, "real", 1)
    store.start(inv.token)
    consent_page = store.pages[0]
    assert consent_page.field(instrument.consent.question) is not None
    for refused in (0, 1 - int(instrument.consent.accept_value)):
        with pytest.raises(ResponseError, match="Consent was not given"):
            store.submit_page(inv.token, consent_page.id,
                              {instrument.consent.question: refused},
                              submission_key=f"c{refused}")
    assert _rows(store) == (0, 0)
    store.dispose()


def test_screened_out_respondent_cannot_continue(db_url: str, instrument) -> None:  # noqa: ANN001
    store = ResponseStore(db_url, instrument=instrument)
    create_study(store, "real")
    (inv,) = create_invitations(store, "real", 1)
    store.start(inv.token)
    screening = next(p for p in store.pages if p.field(instrument.screening.question))
    for spec in store.pages[: screening.index]:
        store.submit_page(inv.token, spec.id, _answers(spec, instrument),
                          submission_key=f"k-{spec.id}")
    store.submit_page(inv.token, screening.id, _answers(screening, instrument, False),
                      submission_key="k-screen")
    # no app had to call screen_out(): the store closed the invitation itself
    assert store.state(inv.token).status == "screened_out"
    before = _rows(store)
    nxt = store.pages[screening.index + 1]
    with pytest.raises(ResponseError, match="closed"):
        store.submit_page(inv.token, nxt.id, _answers(nxt, instrument), submission_key="k-next")
    assert _rows(store) == before
    # repeating the screening submission (a double click) is still idempotent
    again = store.submit_page(inv.token, screening.id, _answers(screening, instrument, False),
                              submission_key="k-screen")
    assert again.duplicate
    store.dispose()
