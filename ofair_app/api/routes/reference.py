"""`/categories` and `/localities`: reference data anyone may read."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from ofair_app import reference
from ofair_app.api.deps import RequestLocale
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.domain.inputs import PlainText

router = APIRouter(route_class=ExactJsonRoute)

T = TypeVar("T")


class SubcategoryOut(BaseModel):
    slug: str
    name: str
    name_he: str
    name_en: str


class CategoryOut(SubcategoryOut):
    icon: str
    subcategories: list[SubcategoryOut]


class LocalityOut(BaseModel):
    id: int
    slug: str
    name: str
    name_he: str
    name_en: str
    lat: float
    lon: float


class ItemsOut(BaseModel, Generic[T]):
    items: list[T]


def locality_out(locality: reference.Locality, locale: str) -> LocalityOut:
    return LocalityOut(id=locality.id, slug=locality.slug, name=locality.name(locale),
                       name_he=locality.name_he, name_en=locality.name_en, lat=locality.lat,
                       lon=locality.lon)


@router.get("/categories", response_model=ItemsOut[CategoryOut],
            name="categories", tags=["reference"])
def list_categories(locale: RequestLocale, response: Response) -> ItemsOut[CategoryOut]:
    """Every service category with its subcategories; `name` follows Accept-Language."""
    response.headers["Cache-Control"] = "public, max-age=3600"
    return ItemsOut[CategoryOut](items=[
        CategoryOut(slug=c.slug, name=c.name(locale), name_he=c.name_he, name_en=c.name_en,
                    icon=c.icon,
                    subcategories=[SubcategoryOut(slug=s.slug, name=s.name(locale),
                                                  name_he=s.name_he, name_en=s.name_en)
                                   for s in c.subcategories])
        for c in reference.categories()
    ])


@router.get("/localities", response_model=ItemsOut[LocalityOut],
            name="localities", tags=["reference"])
def list_localities(
    locale: RequestLocale,
    response: Response,
    q: Annotated[PlainText, Query(max_length=80)] = "",
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> ItemsOut[LocalityOut]:
    """Localities whose Hebrew or English name (or a word of it) starts with `q`."""
    response.headers["Cache-Control"] = "public, max-age=3600"
    return ItemsOut[LocalityOut](items=[locality_out(loc, locale)
                                        for loc in reference.search_localities(q, limit)])
