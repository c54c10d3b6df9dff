"""One invitation per firm role of an alliance; login throttling per client.

A unique index on ``(study_id, alliance_id, firm_role)`` lets the database itself refuse
a second firm A (or B) for one alliance, also when invitations are created in parallel.
Single invitations without a role (``firm_role`` NULL) are not constrained: NULLs are
distinct in both SQLite and PostgreSQL.  ``login_throttle`` keeps the failed-login
count per study and per client (a salted hash of the client's address, never the
address), so one client's failures do not lock the study lead out.

Revision ID: 0009_hardening
Revises: 0008_admin_sessions
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_hardening"
down_revision = "0008_admin_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    duplicates = op.get_bind().execute(sa.text(
        "SELECT study_id, alliance_id, firm_role, COUNT(*) FROM invitations "
        "WHERE firm_role IS NOT NULL GROUP BY study_id, alliance_id, firm_role "
        "HAVING COUNT(*) > 1"
    )).fetchall()
    if duplicates:
        listed = ", ".join(f"{a} ({r})" for _, a, r, _ in duplicates[:10])
        raise RuntimeError(
            f"{len(duplicates)} alliance(s) have two invitations for the same firm role: "
            f"{listed}. Give one of each pair another alliance id, then open the store again."
        )
    op.create_index(
        "uq_invitations_alliance_role", "invitations", ["study_id", "alliance_id", "firm_role"],
        unique=True,
    )
    op.create_table(
        "login_throttle",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("study_id", sa.Integer(), sa.ForeignKey("studies.id"), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("study_id", "client", name="uq_login_throttle_client"),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    op.drop_index("uq_invitations_alliance_role", table_name="invitations")
