"""An async ORM application end to end through ``postgresql+pgasync``: every common column
type, relationships with ``selectinload``, bulk inserts, streaming over server-side cursors,
savepoints."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

import pgasync
from tests.sqlalchemy.models import Author, Base, Book, Mood, Sample, Tag

TZ = datetime.timezone(datetime.timedelta(hours=5, minutes=30))

FULL = Sample(
    id=1,
    big=2**62,
    price=Decimal("12345678.9012"),
    ratio=0.1,
    body="línea\nwith unicode ✓",
    label="short",
    flag=True,
    day=datetime.date(2024, 2, 29),
    clock=datetime.time(23, 59, 58, 123456),
    naive=datetime.datetime(2024, 1, 2, 3, 4, 5, 678901),
    aware=datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=TZ),
    span=datetime.timedelta(days=3, hours=4, microseconds=5),
    uid=uuid.UUID("12345678-1234-5678-1234-567812345678"),
    doc={"a": [1, 2, {"b": None}], "c": "d"},
    docb={"k": "v", "n": 7},
    blob=b"\x00\xffbytes",
    numbers=[3, 1, 2],
    words=["x", "y z", ""],
    grid=[[1, 2], [3, 4]],
    mood=Mood.curious,
)


@pytest.fixture
async def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    return async_sessionmaker(engine, expire_on_commit=False)


async def test_every_common_column_type_round_trips(sessions: async_sessionmaker[AsyncSession]) -> None:
    columns = [column.key for column in Sample.__table__.columns]
    async with sessions.begin() as session:
        session.add(Sample(**{name: getattr(FULL, name) for name in columns}))
        session.add(Sample(id=2))
    async with sessions() as session:
        full = await session.get_one(Sample, 1)
        empty = await session.get_one(Sample, 2)
        for name in columns:
            assert getattr(full, name) == getattr(FULL, name), name
            if name != "id":
                assert getattr(empty, name) is None, name
        assert full.aware is not None and full.aware.utcoffset() is not None
        assert isinstance(full.price, Decimal) and isinstance(full.uid, uuid.UUID)
        # The server sees real types, not text: operators of each type work in queries.
        found = await session.scalar(
            select(Sample.id).where(
                Sample.docb["k"].astext == "v",
                Sample.docb.contains({"n": 7}),
                Sample.numbers.contains([2, 3]),
                Sample.mood == Mood.curious,
                Sample.uid == FULL.uid,
                Sample.span > datetime.timedelta(days=3),
                Sample.aware == datetime.datetime(2024, 1, 1, 21, 34, 5, tzinfo=datetime.UTC),
                func.length(Sample.blob) == 7,
            )
        )
        assert found == 1
        kinds = await session.execute(
            text("SELECT pg_typeof(mood)::text, pg_typeof(docb)::text, pg_typeof(grid)::text FROM samples")
        )
        assert kinds.first() == ("mood", "jsonb", "integer[]")


async def test_relationships_load_with_selectinload(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        tags = [Tag(name=name) for name in ("classic", "poetry", "novel")]
        session.add_all(
            [
                Author(name="Ann", books=[Book(title="A1", tags=tags[:2]), Book(title="A2", tags=[tags[2]])]),
                Author(name="Bob", books=[Book(title="B1")]),
                Author(name="Cid"),
            ]
        )
    async with sessions() as session:
        statement = (
            select(Author).options(selectinload(Author.books).selectinload(Book.tags)).order_by(Author.name)
        )
        authors = (await session.scalars(statement)).all()
        shape = [(a.name, [(b.title, [t.name for t in b.tags]) for b in a.books]) for a in authors]
        assert shape == [
            ("Ann", [("A1", ["classic", "poetry"]), ("A2", ["novel"])]),
            ("Bob", [("B1", [])]),
            ("Cid", []),
        ]
        # AsyncAttrs: a lazy relationship loaded with an await.
        book = await session.scalar(select(Book).where(Book.title == "B1"))
        assert book is not None
        assert (await book.awaitable_attrs.author).name == "Bob"


async def test_bulk_inserts(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        author = Author(name="Many")
        session.add(author)
        await session.flush()
        # ORM bulk INSERT from a list of dicts (executemany / insertmanyvalues).
        await session.execute(insert(Book), [{"title": f"t{i}", "author_id": author.id} for i in range(500)])
        # RETURNING of every new key, in order.
        returned = await session.scalars(
            insert(Book).returning(Book.id, sort_by_parameter_order=True),
            [{"title": f"r{i}", "author_id": author.id} for i in range(300)],
        )
        ids = returned.all()
        assert len(ids) == 300 and ids == sorted(ids)
        # Unit of work: many new objects in one flush.
        session.add_all([Tag(name=f"tag{i}") for i in range(250)])
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Book)) == 800
        assert await session.scalar(select(func.count()).select_from(Tag)) == 250
        titles = (
            await session.scalars(select(Book.title).where(Book.id.in_(ids[:3])).order_by(Book.id))
        ).all()
        assert titles == ["r0", "r1", "r2"]


async def open_portals(session: AsyncSession) -> int:
    """Named server-side cursors (portals) open in the session's transaction (the unnamed
    portal of this very query does not count)."""
    count = await session.scalar(text("SELECT count(*) FROM pg_cursors WHERE name <> ''"))
    assert isinstance(count, int)
    return count


async def test_streaming_runs_over_server_side_cursors(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        session.add(author := Author(name="Streamer"))
        await session.flush()
        await session.execute(
            insert(Book), [{"title": f"s{i:04}", "author_id": author.id} for i in range(1200)]
        )

    async with sessions() as session:
        assert await open_portals(session) == 0
        result = await session.stream(select(Book.title).order_by(Book.title))
        first = await result.fetchmany(10)
        assert [row.title for row in first] == [f"s{i:04}" for i in range(10)]
        assert await open_portals(session) == 1  # the rest is still on the server
        rest = [row.title async for row in result]
        assert len(rest) == 1190 and rest[-1] == "s1199"

        scalars = await session.stream_scalars(select(Book).where(Book.title < "s0100").order_by(Book.id))
        books = [book async for book in scalars]
        assert [book.title for book in books] == [f"s{i:04}" for i in range(100)]

        # yield_per: the ORM hands rows over in partitions of that size.
        partitioned = await session.stream(select(Book).execution_options(yield_per=250).order_by(Book.id))
        sizes = [len(partition) async for partition in partitioned.scalars().partitions()]
        assert sizes == [250, 250, 250, 250, 200]

    async with sessions() as session, session.bind.connect() as connection:  # type: ignore[union-attr]
        # Core streaming on a plain connection.
        core = await connection.stream(text("SELECT generate_series(1, 5000) AS n"))
        total = 0
        async for partition in core.partitions(1000):
            total += sum(row.n for row in partition)
        assert total == 5000 * 5001 // 2


async def test_savepoints_with_begin_nested(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        session.add(Tag(name="kept"))
        savepoint = await session.begin_nested()
        session.add(Tag(name="undone"))
        await session.flush()
        await savepoint.rollback()
        async with session.begin_nested():
            session.add(Tag(name="nested-kept"))
        # A failing statement inside a savepoint spoils only the savepoint.
        with pytest.raises(IntegrityError) as caught:
            async with session.begin_nested():
                session.add(Tag(name="kept"))
        assert isinstance(caught.value.orig, pgasync.UniqueViolationError)
        session.add(Tag(name="after"))
    async with sessions() as session:
        names = (await session.scalars(select(Tag.name).order_by(Tag.name))).all()
        assert names == ["after", "kept", "nested-kept"]


async def test_unique_violation_is_an_integrity_error_whose_orig_is_pgasyncs(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        session.add(Author(name="Dup"))
    with pytest.raises(IntegrityError) as caught:
        async with sessions.begin() as session:
            session.add(Author(name="Dup"))
    error = caught.value.orig
    assert type(error) is pgasync.UniqueViolationError
    assert error.sqlstate == "23505" and error.constraint_name == "authors_name_key"
    assert error.table_name == "authors"
    # The session recovers: the failed transaction was rolled back.
    async with sessions() as session:
        assert (await session.scalars(select(Author.name))).all() == ["Dup"]
