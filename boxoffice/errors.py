"""One error type for every refusal, with a machine code the CLI maps to an exit status.

Services raise ``BoxOfficeError(code, message)``; nothing else leaks to the user. The message says what happened
and what to do next, in one line. The table below is the documented contract for scripts (see docs/errors.md).
"""

from __future__ import annotations

from typing import Any

from boxoffice.i18n import N_

# code -> (exit status, short description). Statuses group codes by what the caller can do about them. The
# descriptions are marked for translation (N_): translated where they are shown, with _().
EXIT_STATUSES: dict[str, tuple[int, str]] = {
    # 2: the input itself is wrong: fix the command or the file
    "bad_input": (2, N_("an argument or value is malformed")),
    "invalid_document": (2, N_("a JSON document does not match its schema")),
    "bad_config": (2, N_("a configuration value (file, option or environment) is malformed or not allowed here")),
    "insecure_url": (2, N_("plain http to a host other than loopback: use https, or --insecure on a trusted network")),
    "bad_card_number": (2, N_("a full card number was typed where only the last four digits belong")),
    "bad_id_number": (2, N_("an ID document number is malformed or fails its check digit")),
    "card_number_in_text": (2, N_("a name, e-mail, phone, reason or note holds what looks like a card number")),
    # 3: something named does not exist
    "not_found": (3, N_("the event, order, ticket, operator or job named does not exist")),
    "not_initialised": (3, N_("no terminal database here: run `boxoffice init` or `boxoffice demo`")),
    # 4: the request conflicts with the current state
    "customer_limit": (4, N_("this customer would pass the event's limit of tickets per customer")),
    "sold_out": (4, N_("no places left in this section")),
    "not_enough_together": (4, N_("not enough adjacent seats in one row")),
    "seat_unavailable": (4, N_("a named seat is sold, held or does not exist")),
    "over_limit": (4, N_("more tickets than the per-order limit")),
    "already_picked_up": (4, N_("the order or ticket was handed out already")),
    "already_refunded": (4, N_("the ticket was refunded already")),
    "already_exists": (4, N_("a record with that name or id exists already")),
    "not_refundable": (4, N_("the refund policy allows no refund now")),
    "unpaid": (4, N_("the order is not paid")),
    "already_paid": (4, N_("the order is paid already")),
    "shift_required": (4, N_("an open shift is required first")),
    "shift_open": (4, N_("a shift is open already")),
    "drawer_counted": (4, N_("the drawer was counted for closing: no money goes in or out until the shift is closed")),
    "variance_unapproved": (4,
        N_("the drawer's count differs from what it should hold: a note and a supervisor first")),
    "insufficient_payment": (4, N_("the tenders do not cover the total")),
    "conflict": (4, N_("the action conflicts with the current state")),
    "last_admin_token": (4,
        N_("that is the central service's last live admin token: make a new one first, or --force")),
    "not_purgeable_yet": (4, N_("the event is too recent: its customers' data is kept for privacy.keep_days after it")),
    "sync_first": (4, N_("journal entries this purge would erase have not reached the central service: sync first")),
    "holder_required": (4,
        N_("a real-name ticket needs its holder: one per ticket at a sale, the holder's ID at pickup")),
    "holder_changes_exhausted": (4, N_("the ticket's holder was changed as often as its event allows")),
    "backup_copy": (4,
        N_("the database named is a backup copy: it opens only to be put back, with `boxoffice restore`")),
    "unpushed_entries": (4, N_("restoring that copy would lose journal entries the central service never received")),
    # 5: who is asking may not do this
    "permission_denied": (5, N_("the operator's role does not allow this")),
    "not_logged_in": (5, N_("nobody is logged in at this terminal")),
    "wrong_pin": (5, N_("the PIN is wrong")),
    "locked": (5, N_("too many wrong PINs: the operator is locked for a while")),
    "operator_disabled": (5, N_("the operator is disabled")),
    # 6: a ticket that must not be admitted
    "bad_signature": (6, N_("the ticket's signature does not verify")),
    "unknown_key": (6, N_("the ticket was signed by a key this terminal does not know")),
    "revoked": (6, N_("the ticket was refunded or re-issued")),
    "malformed_token": (6, N_("the scanned text is not a ticket token")),
    "wrong_event": (6, N_("the ticket is for another event")),
    "wrong_day": (6, N_("the ticket is not for today")),
    "already_checked_in": (6, N_("the ticket is in already")),
    "key_revoked": (6, N_("the ticket was signed with a revoked terminal's key and cannot be shown to predate it")),
    "unknown_section": (6, N_("the ticket names a section its event does not have")),
    "unknown_event": (6, N_("the ticket is for an event this terminal does not know")),
    "not_in_records": (6, N_("the ticket carries this terminal's own signature but is not in its records")),
    "holder_mismatch": (6, N_("the ID shown is not the real-name ticket holder's")),
    "holder_tampered": (6, N_("the real-name ticket's holder record does not match its signature")),
    # 7: the sale is kept, the printer is not
    "printer_offline": (7, N_("the printer did not answer; the job waits for `boxoffice print retry`")),
    # 8: the central service
    "central_unreachable": (8, N_("the central service did not answer")),
    "central_refused": (8, N_("the central service refused the request")),
    "not_enrolled": (8, N_("this terminal is not enrolled with a central service")),
    "central_rate_limited": (8, N_("the central service is limiting this terminal's requests: try again later")),
    "central_too_large": (8, N_("the central service refused a request as too large")),
    "central_moved": (8, N_("the configured central URL is not the one enrolled with: an admin enrolls again")),
    "certificate_error": (8, N_("the central service's certificate does not verify (or the CA bundle is unreadable)")),
    "feed_signature": (8, N_("a pulled change is not signed by the central key pinned at enrollment: nothing changed")),
    "pretix_unreachable": (8, N_("pretix did not answer (or failed): the bridge tries again at its next round")),
    "pretix_refused": (8, N_("pretix refused a request of the bridge: the message says which and why")),
    "enroll_again": (8, N_("this terminal holds no pinned central key (enrolled by an older release): enroll again")),
    # 9: the database
    "database_newer": (9, N_("the database was written by a newer release")),
    "database_older": (9, N_("the central database was made by an older release: run `boxoffice central migrate`")),
    "busy": (9, N_("the central database stayed busy with other writers after several tries: try again")),
    "database_error": (9, N_("the database is damaged or unreadable")),
    "unsafe_file": (9, N_("other users of this computer can write the database file: make it 0600 (chmod 600)")),
    "audit_failed": (9, N_("the journal or the records do not match their hash chain: changed behind the tool's back")),
    "recovery_needed": (9, N_("the database was put back from an older copy: run `boxoffice sync recover` first")),
    "chain_mismatch": (9, N_("the central service's copy of this terminal's journal does not continue the chain here")),
    # 10: sales stopped on purpose
    "sales_paused": (10, N_("sales are paused")),
    "not_allocated": (10, N_("the place is outside this terminal's allocation")),
}

INTERNAL_ERROR_STATUS = 70


class BoxOfficeError(Exception):
    """A refusal with a machine ``code`` (a key of EXIT_STATUSES), a one-line ``message`` and optional ``details``."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        if code not in EXIT_STATUSES:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    @property
    def exit_status(self) -> int:
        return EXIT_STATUSES[self.code][0]

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}
