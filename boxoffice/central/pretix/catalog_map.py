"""pretix's event, items, quotas, seats and check-in lists as one boxoffice catalogue event: a pure mapping, no I/O.

What pretix sends is somebody else's data: every field may be missing, of the wrong type, huge or full of control
characters. What cannot be mapped is left out and counted (``skipped``), never raised, so one odd item does not stop
the counters getting the rest of the event. The decisions (docs: PRETIX_PLAN, "Mapping decisions"):

- a quota with a size -> a general section (capacity = size); an item in exactly one such quota -> a ticket type
  priced at its ``default_price`` there. Unlimited quotas, items with variations, items in several quotas or none,
  inactive items are skipped;
- a seating plan -> one reserved section per seat category, its seats from ``seats/`` (row names as letters, seat
  numbers as numbers); the quotas of seated items are then not general sections (the seats are the places);
- ids are slugs of the (English, else any) names, unless a link made earlier says otherwise (``known``): names may
  change in pretix, ids must not, or a terminal with sales would refuse the new layout.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from boxoffice.domain.card_numbers import mask_card_numbers
from boxoffice.domain.money import exponent

MAX_SECTIONS, MAX_TYPES, MAX_ROWS, MAX_ROW_SEATS, MAX_CAPACITY = 200, 50, 500, 1000, 1_000_000
_SLUG_OK = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
_AMOUNT = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,3})?$")
_LETTERS = re.compile(r"^[A-Za-z]{1,3}$")
_DIGITS = re.compile(r"^[0-9]{1,4}$")
_KEY = re.compile(r"^[A-Za-z0-9+/=]{1,4000}$")


@dataclass
class Link:
    """One row of pretix_links: what a boxoffice id is in pretix."""

    kind: str
    local_id: str
    pretix_id: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Mapped:
    """One pretix event mapped: the catalogue event (None when nothing of it can be sold), its links, what was
    left out (``kind:pretix id:reason``, e.g. ``item:12:quotas``, for scripts and logs), and the event's currency
    and time zone for the venue block."""

    event: dict[str, Any] | None
    links: list[Link]
    skipped: list[str]
    currency: str | None = None
    timezone: str | None = None


# -- small, total conversions ---------------------------------------------------------------------------------------


def pick_text(value: Any, language: str | None) -> str:
    """A pretix text (a plain string or a translations dict such as ``{"en": ..., "zh-hans": ...}``) in
    ``language`` (``zh_CN``, ``en``...), else English, else the first non-empty one; '' when there is none."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        return ""
    texts = {str(k).lower().replace("_", "-"): v for k, v in value.items() if isinstance(v, str) and v.strip()}
    if not texts:
        return ""
    tag = (language or "en").lower().replace("_", "-")
    base = tag.split("-")[0]
    wanted = [tag, base]
    if base == "zh":  # pretix says zh-hans for simplified Chinese; never take traditional for it
        wanted += ["zh-hans", "zh-cn", "zh-hans-cn", "zh-sg"]
    for key in wanted:
        if key in texts:
            return texts[key]
    for key, text in texts.items():
        if key.startswith(base + "-") and not (base == "zh" and key in ("zh-hant", "zh-tw", "zh-hk", "zh-mo")):
            return text
    for key in ("en", *[k for k in texts if k.startswith("en-")]):
        if key in texts:
            return texts[key]
    return next(iter(texts.values()))


def clean_name(text: str, limit: int, fallback: str) -> str:
    """A name fit for a screen, a receipt and the catalogue: no control or format characters, one line, no card
    number, at most ``limit`` characters; ``fallback`` when nothing is left."""
    kept = "".join(" " if unicodedata.category(ch)[0] in ("C", "Z") else ch for ch in str(text)[:4 * limit])
    kept = " ".join(mask_card_numbers(kept).split())
    return kept[:limit].rstrip() or fallback


def slugify(text: str, fallback: str) -> str:
    """A catalogue id from a name: lowercase ASCII letters, digits and dashes, at most 48 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:48].rstrip("-")
    return slug if _SLUG_OK.match(slug) else fallback


def event_id(slug: Any) -> str | None:
    """The boxoffice event id of a pretix event slug: the slug lowercased (a dot, which pretix allows, as a dash)."""
    if not isinstance(slug, str):
        return None
    eid = slug.lower().replace(".", "-")
    return eid if _SLUG_OK.match(eid) else None


def money(value: Any, currency: str) -> str | None:
    """A pretix decimal string as a catalogue amount in ``currency`` (its minor digits), or None when it is not a
    plain, non-negative amount the catalogue can hold."""
    if not isinstance(value, str | int) or isinstance(value, bool) or len(str(value)) > 40:
        return None
    try:
        amount = Decimal(str(value).strip())
        if not amount.is_finite() or amount < 0 or amount >= 10**9:
            return None
        quantum = Decimal(1).scaleb(-exponent(currency))
        if amount != amount.quantize(quantum, rounding=ROUND_DOWN):
            return None
        text = f"{amount.quantize(quantum):f}"
    except InvalidOperation:
        return None
    return text if _AMOUNT.match(text) else None


def local_time(value: Any, tz: str) -> str | None:
    """A pretix date and time (ISO with an offset) as local time in ``tz``: ``YYYY-MM-DDTHH:MM:SS``."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if when.tzinfo is None:
            return None
        return when.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M:%S")
    except (ValueError, KeyError, OSError):
        return None


def time_zone(value: Any) -> str | None:
    """pretix's time zone name, if this machine knows it."""
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        return None
    try:
        ZoneInfo(value)
    except (ValueError, KeyError, OSError):
        return None
    return value


def sig1_keys(event: dict[str, Any]) -> list[str]:
    """The event's pretix_sig1 public keys as pretix gives them in ``valid_keys`` (base64 of a PEM)."""
    keys = (event.get("valid_keys") or {}) if isinstance(event.get("valid_keys"), dict) else {}
    found = keys.get("pretix_sig1")
    return [k for k in found if isinstance(k, str) and _KEY.match(k)][:10] if isinstance(found, list) else []


def _pid(value: Any) -> str | None:
    """A pretix object id (a positive integer) as text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63 else None


def _ids(values: Any) -> list[str]:
    return [p for p in (_pid(v) for v in values) if p] if isinstance(values, list) else []


def _section_ref(event: str, section: str) -> bytes:
    """The ticket token's two-byte section ref (domain/catalog.py refuses two sections that share one)."""
    return hashlib.sha256(f"{event}/{section}".encode()).digest()[:2]


def row_letters(name: Any) -> str | None:
    """A pretix row name as catalogue row letters: letters as they are (uppercased), 1 -> A, 27 -> AA."""
    text = str(name).strip() if isinstance(name, str | int) and not isinstance(name, bool) else ""
    if _LETTERS.match(text):
        return text.upper()
    if _DIGITS.match(text) and int(text) > 0:
        n, out = int(text), ""
        while n:
            n, r = divmod(n - 1, 26)
            out = chr(65 + r) + out
        return out if len(out) <= 3 else None
    return None


# -- the event ------------------------------------------------------------------------------------------------------


class _Ids:
    """Ids unique within one event (sections and ticket types each have their own), kept from earlier links where
    there are some."""

    def __init__(self, eid: str) -> None:
        self.eid, self.used, self.refs = eid, set[str](), set[bytes]()

    def take(self, wanted: str, section: bool) -> str:
        candidate, n = wanted, 1
        while candidate in self.used or (section and _section_ref(self.eid, candidate) in self.refs):
            n += 1
            candidate = f"{wanted[:44].rstrip('-')}-{n}"
        self.used.add(candidate)
        if section:
            self.refs.add(_section_ref(self.eid, candidate))
        return candidate


def map_event(pulled: dict[str, Any], *, language: str | None, known: dict[tuple[str, str], str],
              pickup_list: str = "boxoffice pickup") -> Mapped:
    """Map one pulled event. ``pulled`` has ``event`` (events/E/), ``items``, ``quotas``, ``seats`` and
    ``checkinlists`` (lists of pretix objects); ``known`` maps (kind, pretix id) to the local id (the last part)
    of links made before."""
    ev = pulled.get("event") if isinstance(pulled.get("event"), dict) else {}
    skipped: list[str] = []
    slug = ev.get("slug")
    eid = event_id(slug)
    currency = ev.get("currency") if isinstance(ev.get("currency"), str) and re.match(r"^[A-Z]{3}$",
                                                                                       ev["currency"]) else None
    tz = time_zone(ev.get("timezone"))
    starts = local_time(ev.get("date_from"), tz) if tz else None
    if eid is None or currency is None or tz is None or starts is None or ev.get("has_subevents"):
        return Mapped(None, [], [f"event:{str(slug)[:60]}:unusable"])
    items = [i for i in pulled.get("items") or [] if isinstance(i, dict) and _pid(i.get("id"))]
    quotas = [q for q in pulled.get("quotas") or [] if isinstance(q, dict) and _pid(q.get("id"))]
    ids = _Ids(eid)
    seated = _seated_items(ev) if ev.get("seating_plan") else {}
    quotas_of: dict[str, list[str]] = {}
    for q in quotas:
        for iid in _ids(q.get("items")):
            quotas_of.setdefault(iid, []).append(str(q["id"]))
    # general sections: quotas with a size, and none of the seated items in them
    sections: list[dict[str, Any]] = []
    links: list[Link] = [Link("event", eid, str(slug), {"currency": currency, "timezone": tz})]
    section_of_quota: dict[str, str] = {}
    for q in quotas:
        qid = str(q["id"])
        size = q.get("size")
        if any(i in seated for i in _ids(q.get("items"))):
            continue  # its places are the seats of the seating plan
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_CAPACITY \
                or len(sections) >= MAX_SECTIONS or q.get("subevent"):
            skipped.append(f"quota:{qid}:size")
            continue
        name = clean_name(pick_text(q.get("name"), language), 100, f"quota {qid}")
        sid = ids.take(known.get(("section", qid)) or slugify(pick_text(q.get("name"), "en"), f"quota-{qid}"), True)
        section_of_quota[qid] = sid
        sections.append({"id": sid, "name": name, "kind": "general", "capacity": size})
        links.append(Link("section", f"{eid}/{sid}", qid, {"kind": "general", "size": size}))
    reserved, seat_links, seat_skips = _reserved(eid, ev, pulled.get("seats"), seated, ids, known, language,
                                                 len(sections), quotas_of)
    sections += [s for s, _ in reserved]
    links += [lk for _, lk in reserved] + seat_links
    skipped += seat_skips
    types, type_links = _types(eid, items, quotas_of, section_of_quota, seated, reserved, _Ids(eid), known, language,
                               currency, skipped)
    priced = {sid for t in types for sid in t["prices"]}
    unpriced = {s["id"] for s in sections if s["id"] not in priced}
    if unpriced:
        skipped += [f"section:{sid}:nothing_on_sale" for sid in sorted(unpriced)]
        sections = [s for s in sections if s["id"] not in unpriced]
        links = [lk for lk in links if not (lk.kind in ("section", "seat") and lk.local_id.split("/")[1] in unpriced)]
    if not sections or not types:
        return Mapped(None, [], [*skipped, f"event:{slug}:nothing_on_sale"], currency, tz)
    doc: dict[str, Any] = {"id": eid, "name": clean_name(pick_text(ev.get("name"), language), 200, eid),
                           "starts_at": starts, "timezone": tz}
    doors = local_time(ev.get("date_admission"), tz)
    if doors and doors <= starts and _hours_between(doors, starts) <= 24:
        doc["doors_at"] = doors
    doc |= {"sections": sections, "ticket_types": types, "pretix": {"event": str(slug), "sig1_keys": sig1_keys(ev)}}
    links[0].data["sig1_keys"] = doc["pretix"]["sig1_keys"]
    return Mapped(doc, links + type_links + _checkin_links(eid, pulled.get("checkinlists"), pickup_list), skipped,
                  currency, tz)


def _hours_between(a: str, b: str) -> float:
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds() / 3600


def _seated_items(ev: dict[str, Any]) -> dict[str, str]:
    """item id -> the seat category it is sold in (``seat_category_mapping``: category -> item id)."""
    mapping = ev.get("seat_category_mapping")
    out: dict[str, str] = {}
    if isinstance(mapping, dict):
        for category, item in mapping.items():
            iid = _pid(item)
            if iid and isinstance(category, str):
                out.setdefault(iid, category)
    return out


def _reserved(eid: str, ev: dict[str, Any], seats: Any, seated: dict[str, str], ids: _Ids,
              known: dict[tuple[str, str], str], language: str | None, count: int,
              quotas_of: dict[str, list[str]]) -> tuple[list[tuple[dict[str, Any], Link]], list[Link], list[str]]:
    """One reserved section per seat category, its rows from the seats pretix made of the plan."""
    if not seated or not isinstance(seats, list):
        return [], [], []
    skipped: list[str] = []
    by_item: dict[str, dict[str, dict[str, str]]] = {}  # item -> row letters -> number -> guid
    held: dict[str, list[str]] = {}
    labels: set[str] = set()
    for seat in seats:
        if not isinstance(seat, dict):
            continue
        iid, guid = _pid(seat.get("product")), seat.get("seat_guid")
        row, num = row_letters(seat.get("row_name")), str(seat.get("seat_number") or "").strip()
        if iid not in seated or not isinstance(guid, str) or not 0 < len(guid) <= 200 or row is None \
                or not _DIGITS.match(num) or int(num) == 0 or f"{row}{int(num)}" in labels or seat.get("subevent"):
            skipped.append(f"seat:{str(guid)[:60]}:unmappable")
            continue
        label = f"{row}{int(num)}"
        labels.add(label)
        by_item.setdefault(iid, {}).setdefault(row, {})[str(int(num))] = guid
        if seat.get("blocked") is True:
            held.setdefault(iid, []).append(label)
    out: list[tuple[dict[str, Any], Link]] = []
    seat_links: list[Link] = []
    for iid, rows in by_item.items():
        category = seated[iid]
        if count + len(out) >= MAX_SECTIONS or len(rows) > MAX_ROWS or any(len(r) > MAX_ROW_SEATS
                                                                            for r in rows.values()):
            skipped.append(f"seat_category:{category[:60]}:too_large")
            continue
        name = clean_name(category, 100, f"seats {iid}")
        key = f"category:{category[:150]}"
        sid = ids.take(known.get(("section", key)) or slugify(name, f"seats-{iid}"), True)
        section: dict[str, Any] = {"id": sid, "name": name, "kind": "reserved", "rows": [
            {"row": r, "seats": sorted(nums, key=int)} for r, nums in sorted(rows.items(), key=lambda x: (len(x[0]),
                                                                                                         x[0]))]}
        if held.get(iid):
            section["held"] = sorted(held[iid])
        quotas = quotas_of.get(iid, [])
        out.append((section, Link("section", f"{eid}/{sid}", key, {"kind": "reserved", "item": int(iid),
                                                                     "quotas": [int(q) for q in quotas]})))
        seat_links += [Link("seat", f"{eid}/{sid}/{r}{n}", g, {"item": int(iid)})
                       for r, nums in rows.items() for n, g in nums.items()]
    return out, seat_links, skipped


def _types(eid: str, items: list[dict[str, Any]], quotas_of: dict[str, list[str]], section_of_quota: dict[str, str],
           seated: dict[str, str], reserved: list[tuple[dict[str, Any], Link]], ids: _Ids,
           known: dict[tuple[str, str], str], language: str | None, currency: str,
           skipped: list[str]) -> tuple[list[dict[str, Any]], list[Link]]:
    """A ticket type per item that one section sells, priced at its default price there."""
    reserved_of = {str(lk.data["item"]): s["id"] for s, lk in reserved}
    types: list[dict[str, Any]] = []
    links: list[Link] = []
    for item in items:
        iid = str(item["id"])
        price = money(item.get("default_price"), currency)
        if iid in seated:
            where = [reserved_of[iid]] if iid in reserved_of else []
        else:
            mine = quotas_of.get(iid, [])
            where = [section_of_quota[mine[0]]] if len(mine) == 1 and mine[0] in section_of_quota else []
        why = ("inactive" if item.get("active") is False else "variations" if item.get("has_variations") or
               item.get("variations") else "price" if price is None else "quotas" if not where
               else "too_many_types" if len(types) >= MAX_TYPES else None)
        if why:
            skipped.append(f"item:{iid}:{why}")
            continue
        name = clean_name(pick_text(item.get("name"), language), 100, f"item {iid}")
        tid = ids.take(known.get(("ticket_type", iid)) or slugify(pick_text(item.get("name"), "en"), f"item-{iid}"),
                       False)
        assert price is not None
        types.append({"id": tid, "name": name, "prices": dict.fromkeys(where, price)})
        links.append(Link("ticket_type", f"{eid}/{tid}", iid, {"price": price, "sections": where}))
    return types, links


def _checkin_links(eid: str, lists: Any, pickup_name: str) -> list[Link]:
    """The pickup list (named ``pickup_name``) and the door's list (the first other one), where pretix has them."""
    found = [c for c in lists or [] if isinstance(c, dict) and _pid(c.get("id"))] if isinstance(lists, list) else []
    links: list[Link] = []
    pickup = next((c for c in found if c.get("name") == pickup_name), None)
    if pickup:
        links.append(Link("checkin_list", f"{eid}/pickup", str(pickup["id"]), {"name": pickup_name}))
    entry = next((c for c in found if c is not pickup), None)
    if entry:
        links.append(Link("checkin_list", f"{eid}/entry", str(entry["id"]),
                          {"name": clean_name(str(entry.get("name") or ""), 100, str(entry["id"]))}))
    return links
