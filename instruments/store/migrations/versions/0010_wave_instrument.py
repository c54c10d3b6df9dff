"""Every wave records the instrument version it runs.

A study may move to a new instrument version only by opening a new wave: the
respondents of earlier waves keep answering (and resuming) on the version their wave
was opened with.  Existing waves are given their study's instrument; ``studies`` keeps
the instrument of the study's newest wave (the one new waves inherit).

Revision ID: 0010_wave_instrument
Revises: 0009_hardening
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_wave_instrument"
down_revision = "0009_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("waves") as batch:
        batch.add_column(sa.Column("instrument_id", sa.String(100), nullable=True))
        batch.add_column(sa.Column("instrument_version", sa.String(50), nullable=True))
        batch.add_column(sa.Column("instrument_hash", sa.String(128), nullable=True))
    for column in ("instrument_id", "instrument_version", "instrument_hash"):
        op.execute(
            f"UPDATE waves SET {column} = (SELECT studies.{column} FROM studies "
            f"WHERE studies.id = waves.study_id) WHERE {column} IS NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("waves") as batch:
        batch.drop_column("instrument_hash")
        batch.drop_column("instrument_version")
        batch.drop_column("instrument_id")
