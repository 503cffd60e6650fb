"""Where a place said aloud keeps its time: "Tokyo" -> Asia/Tokyo, "India" -> Asia/Kolkata.

Every city the tz database names a zone after is found by that name ("tokyo", "new york",
"los angeles", "sao paulo"), and so is a zone's full name ("europe/paris", "utc"). A small
table adds what people say that is no zone's name: countries, other big cities ("Delhi",
"San Francisco"), "Pacific time". A country that spans several zones is not guessed
(`Spread`). The database is read through `zoneinfo`: the system's where there is one, the
`tzdata` package elsewhere (a dependency, so Windows has it too).
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from dataclasses import dataclass

_NEW_YORK, _CHICAGO, _DENVER, _LOS_ANGELES = ("America/New_York", "America/Chicago",
                                              "America/Denver", "America/Los_Angeles")
_PLACES = {
    # time scales and the names of time zones
    "utc": "UTC", "gmt": "GMT", "greenwich": "GMT", "universal time": "UTC",
    "coordinated universal time": "UTC", "greenwich mean time": "GMT", "zulu": "UTC",
    "eastern time": _NEW_YORK, "eastern": _NEW_YORK, "est": _NEW_YORK, "edt": _NEW_YORK,
    "central time": _CHICAGO, "cst": _CHICAGO, "cdt": _CHICAGO,
    "mountain time": _DENVER, "mst": _DENVER, "mdt": _DENVER,
    "pacific time": _LOS_ANGELES, "pst": _LOS_ANGELES, "pdt": _LOS_ANGELES,
    "central european time": "Europe/Berlin", "cet": "Europe/Berlin",
    # cities no zone is named after
    "san francisco": _LOS_ANGELES, "seattle": _LOS_ANGELES, "san diego": _LOS_ANGELES,
    "las vegas": _LOS_ANGELES, "silicon valley": _LOS_ANGELES, "california": _LOS_ANGELES,
    "washington": _NEW_YORK, "washington dc": _NEW_YORK, "boston": _NEW_YORK,
    "miami": _NEW_YORK, "atlanta": _NEW_YORK, "philadelphia": _NEW_YORK, "nyc": _NEW_YORK,
    "new york city": _NEW_YORK, "dallas": _CHICAGO, "houston": _CHICAGO, "austin": _CHICAGO,
    "texas": _CHICAGO, "illinois": _CHICAGO, "florida": _NEW_YORK, "new jersey": _NEW_YORK,
    "massachusetts": _NEW_YORK, "michigan": "America/Detroit", "colorado": _DENVER,
    "new mexico": _DENVER, "arizona": "America/Phoenix", "nevada": _LOS_ANGELES,
    "oregon": _LOS_ANGELES, "hawaii": "Pacific/Honolulu", "alaska": "America/Anchorage",
    "montreal": "America/Toronto", "ottawa": "America/Toronto", "rio de janeiro":
    "America/Sao_Paulo", "rio": "America/Sao_Paulo", "munich": "Europe/Berlin",
    "frankfurt": "Europe/Berlin", "hamburg": "Europe/Berlin", "milan": "Europe/Rome",
    "barcelona": "Europe/Madrid", "geneva": "Europe/Zurich", "st petersburg": "Europe/Moscow",
    "saint petersburg": "Europe/Moscow", "delhi": "Asia/Kolkata", "new delhi": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata", "bombay": "Asia/Kolkata", "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata", "chennai": "Asia/Kolkata", "calcutta": "Asia/Kolkata",
    "beijing": "Asia/Shanghai", "peking": "Asia/Shanghai", "hanoi": "Asia/Bangkok",
    "abu dhabi": "Asia/Dubai", "tel aviv": "Asia/Jerusalem", "islamabad": "Asia/Karachi",
    "ankara": "Europe/Istanbul", "cape town": "Africa/Johannesburg",
    "wellington": "Pacific/Auckland", "canberra": "Australia/Sydney",
    # countries with one time zone (or one most people mean)
    "india": "Asia/Kolkata", "japan": "Asia/Tokyo", "china": "Asia/Shanghai",
    "korea": "Asia/Seoul", "south korea": "Asia/Seoul", "uk": "Europe/London",
    "united kingdom": "Europe/London", "britain": "Europe/London",
    "great britain": "Europe/London", "england": "Europe/London",
    "scotland": "Europe/London", "wales": "Europe/London", "ireland": "Europe/Dublin",
    "france": "Europe/Paris", "germany": "Europe/Berlin", "spain": "Europe/Madrid",
    "italy": "Europe/Rome", "netherlands": "Europe/Amsterdam", "holland": "Europe/Amsterdam",
    "belgium": "Europe/Brussels", "switzerland": "Europe/Zurich", "austria": "Europe/Vienna",
    "sweden": "Europe/Stockholm", "norway": "Europe/Oslo", "denmark": "Europe/Copenhagen",
    "finland": "Europe/Helsinki", "poland": "Europe/Warsaw", "greece": "Europe/Athens",
    "portugal": "Europe/Lisbon", "turkey": "Europe/Istanbul", "ukraine": "Europe/Kyiv",
    "egypt": "Africa/Cairo", "israel": "Asia/Jerusalem", "uae": "Asia/Dubai",
    "united arab emirates": "Asia/Dubai", "saudi arabia": "Asia/Riyadh",
    "pakistan": "Asia/Karachi", "thailand": "Asia/Bangkok", "vietnam": "Asia/Bangkok",
    "philippines": "Asia/Manila", "taiwan": "Asia/Taipei", "new zealand": "Pacific/Auckland",
    "south africa": "Africa/Johannesburg", "nigeria": "Africa/Lagos", "kenya": "Africa/Nairobi",
    "argentina": "America/Argentina/Buenos_Aires", "colombia": "America/Bogota",
    "peru": "America/Lima", "chile": "America/Santiago",
}
# places with several time zones: a city is needed, and two are suggested
_SPREAD = {
    "united states": ("New York", "Los Angeles"), "america": ("New York", "Los Angeles"),
    "usa": ("New York", "Los Angeles"), "us": ("New York", "Los Angeles"),
    "the states": ("New York", "Los Angeles"), "canada": ("Toronto", "Vancouver"),
    "australia": ("Sydney", "Perth"), "russia": ("Moscow", "Vladivostok"),
    "brazil": ("Sao Paulo", "Manaus"), "mexico": ("Mexico City", "Tijuana"),
    "indonesia": ("Jakarta", "Jayapura"),
}
_REGIONS = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/",
            "Europe/", "Indian/", "Pacific/")
_ACRONYMS = {"uk", "us", "usa", "uae", "utc", "gmt", "nyc", "dc", "est", "edt", "cst", "cdt",
             "mst", "mdt", "pst", "pdt", "cet"}
_SMALL = {"of", "the", "de", "da", "del", "la", "el", "es", "and"}
_NOT_PLACES = {"Factory", "localtime", "posixrules"}  # in the database, but no place


@dataclass(frozen=True)
class Spread:
    """A place with several time zones, and two cities to suggest."""

    examples: tuple[str, str]


@functools.lru_cache(maxsize=1)
def _by_name() -> dict[str, str]:
    """Each zone by its full name and by its city's name ("new york"), lower case; a
    region's zone (America/...) wins over an old alias's (US/...)."""
    names: dict[str, str] = {}
    for zone in sorted(zoneinfo.available_timezones() - _NOT_PLACES):
        full = zone.lower().replace("_", " ")
        names[full] = names[full.replace("/", " ")] = zone  # "europe paris": the slash unsaid
        city = full.rsplit("/", 1)[-1]
        if city not in names or zone.startswith(_REGIONS):
            names[city] = zone
    return names


def _candidates(place: str):
    words = re.sub(r"[^a-z/ ]", " ", place.lower().replace("_", " ")).split()
    if words and words[0] == "the":
        words = words[1:]
    # "tokyo japan", "paris france", "downtown tokyo": the city alone too
    for n in range(len(words), 0, -1):
        yield " ".join(words[:n])
    for n in range(1, len(words)):
        yield " ".join(words[n:])


def find_zone(place: str) -> zoneinfo.ZoneInfo | Spread | None:
    """The zone of a place said aloud; `Spread` for a country with several; None if unknown."""
    for name in _candidates(place):
        if name in _SPREAD:
            return Spread(_SPREAD[name])
        zone = _PLACES.get(name) or _by_name().get(name)
        if zone is not None:
            try:
                return zoneinfo.ZoneInfo(zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue  # an old tz database without this zone
    return None


def place_name(place: str) -> str:
    """A place as written in a reply: "new york" -> "New York", "the uk" -> "the UK"."""
    words = place.split()
    out = []
    for n, word in enumerate(words):
        if word in _ACRONYMS:
            out.append(word.upper())
        elif word in _SMALL and n > 0 or word == "the":
            out.append(word)
        else:
            out.append(word[:1].upper() + word[1:])
    return " ".join(out)
