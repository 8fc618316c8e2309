"""The pretix bridge: pretix as the central system that boxoffice terminals work against.

The terminals keep talking to the boxoffice central service; in bridge mode that service keeps one or more pretix
events as the source of truth and mirrors, one step at a time (runner.py), what pretix knows and what the terminals
did: the catalogue down, places granted to terminals as quota-blocking vouchers, terminal sales up as paid orders,
web orders and revoked secrets down, pickups and door check-ins up. Each step is idempotent and resumable, so a
round cut short by a network failure is simply run again. docs/pretix.md says what is mapped to what.
"""
