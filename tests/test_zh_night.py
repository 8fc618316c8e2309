"""A night at the counter in Chinese, as real processes: the demo, keys and web orders, a sale, a pickup, a refund
and the shift's blind close, all with BOXOFFICE_LANG=zh_CN.

What a Chinese-speaking operator checks: every message they read is Chinese (each one was found in the catalogue:
BOXOFFICE_I18N_MISSING collects any that was not, and the test fails on it; and no English sentence is left on
screen); and what a script reads does not change: the same --json, the same exit statuses, in either language.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pickup_fixtures import Central, Seat, orders_doc, web_order

# Data, not messages: the demo catalogue's names are English because the venue wrote them so.
DATA_WORDS = ("Winter Gala", "Late Night Jazz", "Demo Hall", "Demo Customer", "Demo counter", "Anna Smith",
              "Standing", "Stalls", "Adult", "Child")
OPERATORS = ("admin", "sam", "sue", "pat", "dan")
_ENGLISH_RUN = re.compile(r"\b[A-Za-z][a-z]+(?:[ ,']+[A-Za-z][a-z]+){1,}\b")
_NOT_PROSE = [
    re.compile(r"`[^`]*`"),                       # a command to type
    re.compile(r"boxoffice(?: [\w./:=,'-]+)+"),   # an example command line
    re.compile(r"--[\w-]+"),                      # an option
    re.compile(r"\S+@\S+"),                       # an e-mail
    re.compile(r"(?:/[\w.@-]+)+"),                # a path
]


class Night:
    """The demo terminal's directory, the environment of every command, and what each command printed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.missing = root / "missing.txt"
        self.dir = root / "boxoffice-demo"
        self.outputs: list[tuple[list[str], str]] = []

    def run(self, *args: str, pin: str | None = None, lang: str = "zh_CN", cwd: Path | None = None,
            code: int = 0) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BOXOFFICE_", "LC_", "LANG"))}
        env.update(BOXOFFICE_LANG=lang, BOXOFFICE_I18N_MISSING=str(self.missing), COLUMNS="120")
        if pin:
            env["BOXOFFICE_PIN"] = pin
        done = subprocess.run([sys.executable, "-m", "boxoffice", *args], cwd=cwd or self.dir, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == code, f"{args}: {done.returncode}\n{done.stdout}\n{done.stderr}"
        if lang == "zh_CN" and "--json" not in args:
            self.outputs.append((list(args), done.stdout + done.stderr))
        return done

    def json(self, *args: str, pin: str | None = None, lang: str = "zh_CN") -> Any:
        return json.loads(self.run(*args, "--json", pin=pin, lang=lang).stdout)


def english_left(text: str) -> list[str]:
    """Runs of two or more English words in ``text`` once data, commands, options and paths are set aside."""
    for word in DATA_WORDS:
        text = text.replace(word, " ")
    for name in OPERATORS:
        text = re.sub(rf"\b{name}\b", " ", text)
    for pattern in _NOT_PROSE:
        text = pattern.sub(" ", text)
    return _ENGLISH_RUN.findall(text)


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Night:
    n = Night(tmp_path_factory.mktemp("zh-night"))
    n.run("demo", cwd=n.root)
    central = Central.make()
    (n.dir / "keys.json").write_text(json.dumps(central.keys_doc()), encoding="utf-8")
    orders = [web_order(central, "gala", "李小明", [Seat("standing", price="22.50")] * 2,
                        email="li.xiaoming@example.cn", phone="+86 138 0013 8000"),
              web_order(central, "gala", "Anna Smith", [Seat("standing", price="22.50")], status="unpaid")]
    (n.dir / "orders.json").write_text(json.dumps(orders_doc(orders)), encoding="utf-8")
    n.codes = {"li": orders[0]["code"], "anna": orders[1]["code"]}  # type: ignore[attr-defined]

    n.run("login", "admin", pin="123456")
    n.run("keys", "import", "keys.json")
    n.run("orders", "import", "orders.json")
    n.run("login", "sam", pin="1111")
    n.run("shift", "open", "--float", "100")
    sold = n.json("sell", "gala", "--section", "standing", "--type", "adult=2", "--cash", "50", "--name", "王芳")
    n.sold = sold["order"]  # type: ignore[attr-defined]
    n.run("sell", "gala", "--section", "standing", "--type", "adult=1", "--card", "4242", "--name", "张伟")
    n.run("login", "pat", pin="3333")
    n.run("pickup", "find", "li xiao ming")
    n.run("pickup", "give", n.codes["li"])  # type: ignore[attr-defined]
    n.run("login", "sue", pin="222222")
    n.run("refund", n.sold, "--yes", "--reason", "customer_request")  # type: ignore[attr-defined]
    n.run("login", "sam", pin="1111")
    n.run("shift", "status")
    n.run("shift", "close", "--counted", "122.50", code=4)  # a variance without a note and a supervisor
    n.run("shift", "close", "--counted", "122.50", "--note", "少了一张二十元", "--supervisor", "sue", pin="222222")
    n.run("login", "sue", pin="222222")  # who reads the reports compared below
    n.run("sell", "--help")
    n.run("nosuchcommand", code=2)
    n.run("sell", "gala", "--section", "standing", "--type", "adult=1", "--cash", "abc", code=2)
    return n


def test_every_message_of_the_night_was_in_the_catalogue(night: Night) -> None:
    missing = night.missing.read_text(encoding="utf-8").splitlines() if night.missing.exists() else []
    assert missing == [], "not in the Chinese catalogue:\n" + "\n".join(sorted(set(missing)))


def test_no_english_sentence_is_left_on_screen(night: Night) -> None:
    left = {" ".join(args[:2]): english_left(out) for args, out in night.outputs}
    bad = {k: v for k, v in left.items() if v}
    assert not bad, json.dumps(bad, ensure_ascii=False, indent=1)


def test_the_screen_is_chinese(night: Night) -> None:
    said = "\n".join(out for _, out in night.outputs)
    for words in ("已登录", "找零", "退款", "用法"):
        assert words in said, words


@pytest.mark.parametrize("args", [
    ("event", "list"), ("order", "show", "SOLD"), ("pickup", "find", "Anna"), ("report", "sales"),
    ("operator", "list"),
])
def test_json_is_the_same_in_both_languages(night: Night, args: tuple[str, ...]) -> None:
    args = tuple(night.sold if a == "SOLD" else a for a in args)  # type: ignore[attr-defined]
    chinese = night.json(*args, pin="222222", lang="zh_CN")
    english = night.json(*args, pin="222222", lang="en")
    assert chinese == english
