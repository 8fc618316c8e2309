"""The translations: the catalogue is complete and compiled, the language is chosen as documented, and money and
dates are written as each language writes them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import boxoffice
from boxoffice import i18n
from boxoffice.i18n import catalog

PACKAGE = Path(boxoffice.__file__).parent


def test_the_chinese_catalogue_is_complete_and_compiled():
    """Every marked message has a translation with the same {placeholders}, and the .mo is built from the .po."""
    found = catalog.problems("zh_CN")
    assert found == [], "\n".join(found[:40]) + f"\n({len(found)} in all: python -m boxoffice.i18n.catalog update)"


def test_no_message_is_built_before_it_is_translated():
    """``_(f"...")`` or ``_("..." % x)`` would look up a text that is never in the catalogue."""
    bad = []
    pattern = re.compile(r"""\b_\(\s*f["']|\b_\(\s*["'][^"']*["']\s*(%|\+)""")
    for path in PACKAGE.rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                bad.append(f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}")
    assert bad == []


@pytest.mark.parametrize(("tag", "expected"), [
    ("zh_CN.UTF-8", "zh_CN"), ("zh-Hans", "zh_CN"), ("zh", "zh_CN"), ("en_GB.UTF-8", "en"), ("C", "en"),
    ("POSIX", "en"), ("zh_TW.UTF-8", None), ("fr_FR", None), ("", None),
])
def test_language_tags_as_systems_write_them(tag, expected):
    assert i18n.normalise(tag) == expected


def _run(code: str, **env: str) -> str:
    clean = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PACKAGE.parent)}
    return subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_boxoffice_lang_wins_over_the_venue_and_the_system():
    code = "from boxoffice import i18n; print(i18n.language()); print(i18n.set_language('en'))"
    assert _run(code, LANG="zh_CN.UTF-8").splitlines() == ["zh_CN", "en"]
    assert _run(code, LANG="en_GB.UTF-8", BOXOFFICE_LANG="zh_CN").splitlines() == ["zh_CN", "zh_CN"]
    assert _run(code).splitlines() == ["en", "en"]


def test_money_and_dates_in_chinese_and_in_english():
    code = ("from boxoffice import i18n; from boxoffice.domain.money import format_money as m; "
            "from boxoffice.domain.clock import when_text as w; "
            "print(m(4500, 'GBP', symbol=True), m(-1250, 'CNY', symbol=True), m(4500, 'JPY', symbol=True)); "
            "print(w('2026-12-04T11:30:00+00:00', 'Asia/Shanghai'))")
    assert _run(code, BOXOFFICE_LANG="zh_CN").splitlines() == ["£45.00 -¥12.50 JP¥4,500", "12月4日 周五 19:30"]
    assert _run(code, BOXOFFICE_LANG="en").splitlines() == ["45.00 GBP -12.50 CNY 4500 JPY", "Fri 4 Dec 19:30"]


def test_a_receipt_can_be_in_the_venues_language_while_the_screen_is_in_the_operators():
    code = ("from boxoffice.i18n import use_language, language; from boxoffice.domain.money import format_money; "
            "print(language(), format_money(100, 'GBP', symbol=True));\n"
            "with use_language('zh_CN'): print(language(), format_money(100, 'GBP', symbol=True))\n"
            "print(language())")
    assert _run(code, BOXOFFICE_LANG="en").splitlines() == ["en 1.00 GBP", "zh_CN £1.00", "en"]
