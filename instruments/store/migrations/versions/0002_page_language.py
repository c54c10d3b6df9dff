"""Page submissions record the language the page was answered in.

A respondent may switch between the instrument's languages during the survey; the
invitation's language is only the one the link opened in.  Rows written before this
revision have ``language`` NULL (the invitation's language is used for them).

Revision ID: 0002_page_language
Revises: 0001_initial
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_page_language"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("page_submissions") as batch:
        batch.add_column(sa.Column("language", sa.String(10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("page_submissions") as batch:
        batch.drop_column("language")
