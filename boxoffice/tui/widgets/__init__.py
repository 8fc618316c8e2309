"""Widgets the counter's screens share: the status bar and the seat map."""
