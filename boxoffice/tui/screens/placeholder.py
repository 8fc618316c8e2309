"""Screens not built yet say so, so the app's keys can be wired before every screen exists."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from boxoffice.tui.screens.base import DeskScreen


class SaleScreen(DeskScreen):
    def body(self) -> ComposeResult:
        yield Static("Sale", id="body")


class WillCallScreen(DeskScreen):
    def body(self) -> ComposeResult:
        yield Static("Will-call", id="body")


class DoorScreen(DeskScreen):
    def body(self) -> ComposeResult:
        yield Static("Door", id="body")


class PeopleScreen(DeskScreen):
    def body(self) -> ComposeResult:
        yield Static("People and money", id="body")
