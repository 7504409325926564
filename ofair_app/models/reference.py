"""Reference data tables, synced from `ofair_app/data/*.json` by `db upgrade`."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class CategoryRow(SQLModel, table=True):
    __tablename__ = "categories"

    slug: str = Field(primary_key=True, max_length=64)
    name_he: str
    name_en: str
    icon: str = "wrench"
    position: int = 0


class SubcategoryRow(SQLModel, table=True):
    __tablename__ = "subcategories"

    slug: str = Field(primary_key=True, max_length=64)
    category_slug: str = Field(foreign_key="categories.slug")
    name_he: str
    name_en: str
    position: int = 0


class LocalityRow(SQLModel, table=True):
    __tablename__ = "localities"

    id: int = Field(primary_key=True)
    slug: str
    name_he: str
    name_en: str
    lat: float
    lon: float
    population: int = 0
