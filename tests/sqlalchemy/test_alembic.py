"""An Alembic migration up and down through ``postgresql+pgasync``, with the asynchronous
``env.py`` Alembic's ``async`` template describes (an async engine, migrations in ``run_sync``)."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

from alembic import command
from alembic.config import Config

import pgasync

ENV_PY = """
import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import async_engine_from_config


def do_run_migrations(connection):
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations():
    engine = async_engine_from_config(
        context.config.get_section(context.config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await engine.dispose()


asyncio.run(run_async_migrations())
"""

REVISION = '''
"""create the orders table"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

status = postgresql.ENUM("new", "paid", name="order_status")


def upgrade():
    op.create_table(
        "orders",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("status", status, nullable=False, server_default="new"),
        sa.Column("lines", postgresql.JSONB, nullable=False, server_default="[]"),
        sa.Column("placed", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )
    op.create_index("orders_placed", "orders", ["placed"])
    op.bulk_insert(
        sa.table("orders", sa.column("status", status), sa.column("lines", postgresql.JSONB)),
        [{"status": "paid", "lines": [{"sku": "A", "qty": 2}]}, {"status": "new", "lines": []}],
    )


def downgrade():
    op.drop_index("orders_placed", "orders")
    op.drop_table("orders")
    status.drop(op.get_bind())
'''


def alembic_config(directory: Path, url: str) -> Config:
    scripts = directory / "migrations"
    (scripts / "versions").mkdir(parents=True)
    (scripts / "env.py").write_text(ENV_PY, encoding="utf-8")
    (scripts / "script.py.mako").write_text("", encoding="utf-8")
    (scripts / "versions" / "0001_orders.py").write_text(textwrap.dedent(REVISION), encoding="utf-8")
    config = Config()
    config.set_main_option("script_location", str(scripts))
    config.set_main_option("sqlalchemy.url", url)
    return config


async def test_one_migration_up_and_down(
    tmp_path: Path, sqla_url: str, admin: pgasync.Connection, make_engine: object
) -> None:
    # make_engine is requested for its cleanup: the public schema is emptied after the test.
    config = alembic_config(tmp_path, sqla_url)
    # env.py runs its own event loop (asyncio.run), as Alembic's command line does: a thread.
    await asyncio.to_thread(command.upgrade, config, "head")
    assert await admin.fetchval("SELECT version_num FROM alembic_version") == "0001"
    rows = await admin.fetch("SELECT status::text, lines FROM orders ORDER BY id")
    assert [(row["status"], row["lines"]) for row in rows] == [
        ("paid", '[{"qty": 2, "sku": "A"}]'),
        ("new", "[]"),
    ]
    assert await admin.fetchval("SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_placed'") == 1

    await asyncio.to_thread(command.downgrade, config, "base")
    assert await admin.fetchval("SELECT to_regclass('orders')") is None
    assert await admin.fetchval("SELECT count(*) FROM pg_type WHERE typname = 'order_status'") == 0
    assert await admin.fetchval("SELECT count(*) FROM alembic_version") == 0
