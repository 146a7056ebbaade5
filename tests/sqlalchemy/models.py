"""The ORM application the dialect tests run: a small library (authors, books, tags) and a
table with one column of every common PostgreSQL type."""

from __future__ import annotations

import datetime
import enum
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    Interval,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    Time,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = ["Author", "Base", "Book", "Mood", "Sample", "Tag"]


class Base(AsyncAttrs, DeclarativeBase):
    """The declarative base of the test application."""


class Mood(enum.Enum):
    """A PostgreSQL enum type (``CREATE TYPE mood AS ENUM``)."""

    happy = "happy"
    sad = "sad"
    curious = "curious"


book_tags = Table(
    "book_tags",
    Base.metadata,
    Column("book_id", ForeignKey("books.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Author(Base):
    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    books: Mapped[list[Book]] = relationship(back_populates="author", order_by="Book.id")


class Book(Base):
    __tablename__ = "books"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"), index=True)
    author: Mapped[Author] = relationship(back_populates="books")
    tags: Mapped[list[Tag]] = relationship(secondary=book_tags, order_by="Tag.name")


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30), unique=True)


class Sample(Base):
    """One column of each common type; every one nullable but the key."""

    __tablename__ = "samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    big: Mapped[int | None] = mapped_column(BigInteger)
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    ratio: Mapped[float | None] = mapped_column(Float)
    body: Mapped[str | None] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(String(20))
    flag: Mapped[bool | None]
    day: Mapped[datetime.date | None] = mapped_column(Date)
    clock: Mapped[datetime.time | None] = mapped_column(Time)
    naive: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    aware: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    span: Mapped[datetime.timedelta | None] = mapped_column(Interval)
    uid: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    doc: Mapped[Any] = mapped_column(JSON, nullable=True)
    docb: Mapped[Any] = mapped_column(JSONB, nullable=True)
    blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    numbers: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))
    words: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    grid: Mapped[list[list[int]] | None] = mapped_column(ARRAY(Integer, dimensions=2))
    mood: Mapped[Mood | None] = mapped_column(Enum(Mood, name="mood"))
