"""Reference data in the database: synced from the committed data files, read by everyone.

`db upgrade` upserts `ofair_app/data/categories.json` and `localities.json` into their tables, so
the files stay the single source and an edit ships with the next upgrade. Rows that vanished from
the files are kept when something still refers to them (a business's category), deleted otherwise.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, text

from ofair_app import reference

logger = logging.getLogger(__name__)


def sync_reference_data(conn: Connection) -> None:
    """Upsert categories, subcategories and localities as the owner role, in one transaction."""
    # Tables force RLS even for their owner: read businesses as the system to see them all.
    conn.execute(text("SELECT set_config('app.current_role', 'system', true)"))
    categories = reference.categories()
    conn.execute(
        text("""
            INSERT INTO categories (slug, name_he, name_en, icon, position)
            VALUES (:slug, :name_he, :name_en, :icon, :position)
            ON CONFLICT (slug) DO UPDATE SET name_he = EXCLUDED.name_he,
                name_en = EXCLUDED.name_en, icon = EXCLUDED.icon, position = EXCLUDED.position
        """),
        [{"slug": c.slug, "name_he": c.name_he, "name_en": c.name_en, "icon": c.icon,
          "position": index} for index, c in enumerate(categories)],
    )
    subcategories = [
        {"slug": s.slug, "category_slug": c.slug, "name_he": s.name_he, "name_en": s.name_en,
         "position": index}
        for c in categories for index, s in enumerate(c.subcategories)
    ]
    conn.execute(
        text("""
            INSERT INTO subcategories (slug, category_slug, name_he, name_en, position)
            VALUES (:slug, :category_slug, :name_he, :name_en, :position)
            ON CONFLICT (slug) DO UPDATE SET category_slug = EXCLUDED.category_slug,
                name_he = EXCLUDED.name_he, name_en = EXCLUDED.name_en,
                position = EXCLUDED.position
        """),
        subcategories,
    )
    conn.execute(
        text("""
            INSERT INTO localities (id, slug, name_he, name_en, lat, lon, population)
            VALUES (:id, :slug, :name_he, :name_en, :lat, :lon, :population)
            ON CONFLICT (id) DO UPDATE SET slug = EXCLUDED.slug, name_he = EXCLUDED.name_he,
                name_en = EXCLUDED.name_en, lat = EXCLUDED.lat, lon = EXCLUDED.lon,
                population = EXCLUDED.population
        """),
        [{"id": loc.id, "slug": loc.slug, "name_he": loc.name_he, "name_en": loc.name_en,
          "lat": loc.lat, "lon": loc.lon, "population": loc.population}
         for loc in reference.localities()],
    )
    # Remove what the files dropped, unless a business still points at it.
    conn.execute(
        text("""DELETE FROM subcategories WHERE NOT (slug = ANY(:slugs))"""),
        {"slugs": [s["slug"] for s in subcategories]},
    )
    conn.execute(
        text("""DELETE FROM categories c WHERE NOT (slug = ANY(:slugs))
                AND NOT EXISTS (SELECT 1 FROM professionals p WHERE p.category_slug = c.slug)"""),
        {"slugs": [c.slug for c in categories]},
    )
    conn.execute(
        text("""DELETE FROM localities l WHERE NOT (id = ANY(:ids))
                AND NOT EXISTS (SELECT 1 FROM professionals p WHERE p.locality_id = l.id)"""),
        {"ids": [loc.id for loc in reference.localities()]},
    )
    logger.info("reference data synced: %d categories, %d localities", len(categories),
                len(reference.localities()))
