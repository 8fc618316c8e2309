"""Card numbers kept out of everything typed as free text, and out of every message that repeats an input.

A card reference is the last four digits (``domain/tenders.card_last4``). A whole card number typed into a
customer's name, a phone field, a comp reason or an incident note would otherwise be stored, journaled, synced to
the central service and every terminal, printed and shown: so every free-text field is checked with
:func:`refuse_card_number` before it is written, on the terminal and on the central service alike, and the
message says which field without repeating the number.

What counts as a card number: 13 to 19 digits that pass the Luhn check, written in one run or in groups joined by
single spaces or dashes ("4111 1111 1111 1111", "4111-1111-1111-1111"), the groups of a longer run included (a
card followed by its expiry date). Text is NFKC-folded first, so full-width digits count too. Two things are let
through on purpose, because they are not card numbers and refusing them would refuse real customers:

- a run beginning with 0 (no card number does; national phone numbers and ``00`` international prefixes do);
- a run of at most 15 digits written after a ``+`` (an international phone number: E.164 allows 15 digits, and
  one in ten of them passes Luhn by chance).

:func:`mask_card_numbers` is the other half: anything that repeats what was typed (a schema problem, an "invalid
value" from the command line, a central refusal) hides every run of 13 or more digits, card or not, so an error
message never carries the number either.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _

MIN_DIGITS, MAX_DIGITS = 13, 19
MAX_PHONE_DIGITS = 15
HIDDEN = "[digits hidden]"

# The fields callers name in the refusal, translated where it is shown (``details`` keep the English name).
FIELD_NAMES = frozenset((
    N_("customer name"), N_("e-mail"), N_("phone"), N_("comp reason"), N_("terminal name"), N_("orders document"),
    N_("catalogue"), N_("variance note"), N_("exchange note"), N_("cash reason"), N_("refund note"),
    N_("revocation reason"), N_("reason"), N_("pause reason"), N_("--by name"), N_("complaint's note"),
    N_("closing note"), N_("operator name"), N_("holder's name"),
))

# A run of digit groups, each joined to the next by one space or dash (an ASCII or a Unicode dash, a no-break
# space); the optional "+" before it is captured to tell phone numbers apart.
_SEP = "[ \u00a0\u2007\u202f\\-\u2010\u2011\u2012\u2013\u2014\u2212]"
_RUN = re.compile(rf"(\+?)(?<!\d)(\d+(?:{_SEP}\d+)*)(?!\d)")
_GROUP = re.compile(r"\d+")
_ONE_DIGIT = re.compile(r"\d")
# 13 digits, each joined to the next by at most one separator: every card number written as above holds this
_MAYBE = re.compile(rf"\d(?:{_SEP}?\d){{{MIN_DIGITS - 1}}}")

# Keys of a journal entry's payload (at any depth) whose values are free text a person typed or imported.
FREE_TEXT_KEYS = frozenset({"customer_name", "name", "email", "phone", "reason", "comp_reason", "note", "notes",
                            "text", "title", "resolution", "comment", "description", "message", "label",
                            "operator_name", "approved_by_name", "why"})


def luhn_ok(digits: str) -> bool:
    """True when the digits pass the Luhn check every payment card number passes."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)  # any script's decimal digit: "٤" is 4
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _runs(text: str) -> Iterator[tuple[str, list[str]]]:
    """Each run of digit groups in ``text`` (NFKC-folded): the sign before it and its groups of digits."""
    folded = unicodedata.normalize("NFKC", text)
    for m in _RUN.finditer(folded):
        yield m.group(1), _GROUP.findall(m.group(2))


def _is_card(digits: str, plus: bool) -> bool:
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS or digits[0] == "0":
        return False
    if plus and len(digits) <= MAX_PHONE_DIGITS:
        return False
    return luhn_ok(digits)


def holds_card_number(text: str | None) -> bool:
    """True when ``text`` holds what looks like a payment card number (module doc says what counts)."""
    # the common case, a name or a phone with fewer than 13 digits, costs one C-level scan
    if not text or len(_ONE_DIGIT.findall(text)) < MIN_DIGITS or not _MAYBE.search(text):
        return False
    for sign, groups in _runs(text):
        # every stretch of consecutive groups, so a card followed or preceded by other digits is still found
        for start in range(len(groups)):
            digits = ""
            for end in range(start, len(groups)):
                digits += groups[end]
                if len(digits) > MAX_DIGITS:
                    break
                if _is_card(digits, plus=bool(sign) and start == 0):
                    return True
    return False


def refusal(field: str) -> BoxOfficeError:
    """The one refusal, naming the field and never the number."""
    shown = _(field) if field in FIELD_NAMES else field
    return BoxOfficeError("card_number_in_text", _("the {field} holds what looks like a card number; card numbers "
                                                   "are never stored: leave it out").format(field=shown), field=field)


def refuse_card_number(text: str | None, field: str) -> str | None:
    """``text`` unchanged, or ``card_number_in_text`` naming ``field`` ("customer name", "comp reason")."""
    if holds_card_number(text):
        raise refusal(field)
    return text


def refuse_card_numbers(fields: Mapping[str, str | None]) -> None:
    """:func:`refuse_card_number` for several fields at once: {field: text}."""
    for field, text in fields.items():
        refuse_card_number(text, field)


def refuse_card_numbers_in(doc: Any, what: str) -> None:
    """Refuse a whole document (an orders or catalogue import) whose free text holds a card number, naming the
    first place: "the orders document (at /orders/3/customer/name) holds ..."."""
    paths = card_number_paths(doc)
    if paths:
        shown = _(what) if what in FIELD_NAMES else what
        if len(paths) > 1:
            raise refusal(_("{what} (at {path}, and {count} more place(s))").format(
                what=shown, path=paths[0], count=len(paths) - 1))
        raise refusal(_("{what} (at {path})").format(what=shown, path=paths[0]))


def card_number_paths(doc: Any, path: str = "") -> list[str]:
    """JSON pointers of the free-text values (keys in FREE_TEXT_KEYS, at any depth) of ``doc`` that hold a card
    number: what a journal entry or an imported document would carry into every terminal."""
    found: list[str] = []
    if isinstance(doc, Mapping):
        for key, value in doc.items():
            here = f"{path}/{key}"
            if isinstance(value, str):
                if key in FREE_TEXT_KEYS and holds_card_number(value):
                    found.append(here)
            else:
                found += card_number_paths(value, here)
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += card_number_paths(value, f"{path}/{i}")
    return found


def _mask_run(m: re.Match[str]) -> str:
    return HIDDEN if sum(ch.isdigit() for ch in m.group(0)) >= MIN_DIGITS else m.group(0)


_ANY_RUN = re.compile(rf"\d+(?:{_SEP}*\d+)*")


def mask_card_numbers(text: str) -> str:
    """``text`` with every run of 13 or more digits (spaces and dashes inside it allowed) replaced by HIDDEN: for
    messages that repeat an input, where a card number must not come back either."""
    if len(_ONE_DIGIT.findall(text)) < MIN_DIGITS:
        return text
    return _ANY_RUN.sub(_mask_run, "".join(map(_fold, text)))


def _fold(ch: str) -> str:
    """One character NFKC-folded when that makes it a digit, a space or a dash (full-width forms), else itself:
    the rest of the message (a translation's full-width punctuation) is shown as written."""
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 and (folded.isdigit() or folded in " -") else ch


def masked(doc: Any) -> Any:
    """``doc`` (a string, or lists and dicts of them) with :func:`mask_card_numbers` applied to every string."""
    if isinstance(doc, str):
        return mask_card_numbers(doc)
    if isinstance(doc, Mapping):
        return {k: masked(v) for k, v in doc.items()}
    if isinstance(doc, (list, tuple)):
        return [masked(v) for v in doc]
    return doc
