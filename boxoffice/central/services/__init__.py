"""The central use cases: push, pull, allocations, enrollment, web orders, reports, alerts, pauses, admin."""
