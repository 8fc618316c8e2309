"""The command line in Chinese: help pages, Typer's own words and usage errors follow BOXOFFICE_LANG, and the
examples of a translated help stay one a line, as typed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from boxoffice.cli.help_text import examples_apart
from boxoffice.cli.lazy import _fill_wide, _wrap_wide


def run(*args: str, lang: str = "zh_CN") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BOXOFFICE_LANG": lang, "COLUMNS": "80"}
    env.pop("BOXOFFICE_I18N_MISSING", None)
    command = str(Path(sys.executable).with_name("boxoffice"))
    return subprocess.run([command, *args], capture_output=True, text=True, env=env, timeout=60, check=False)


def test_root_help_in_chinese() -> None:
    out = run("--help").stdout
    assert out.startswith("用法：boxoffice")
    assert "选项：" in out and "命令：" in out and "显示本帮助并退出。" in out
    assert "Usage:" not in out and "Options" not in out


def test_usage_error_in_chinese_keeps_its_status() -> None:
    done = run("sell", "--bogus")
    assert done.returncode == 2
    assert "错误：没有选项：--bogus" in done.stderr
    assert "运行 'boxoffice sell -h' 查看帮助。" in done.stderr


def test_english_is_untouched() -> None:
    done = run("sell", "--bogus", lang="en")
    assert done.returncode == 2
    assert done.stderr.startswith("Usage: boxoffice sell")
    assert "Error: No such option: --bogus" in done.stderr


def test_a_command_help_is_translated_with_its_examples_one_a_line() -> None:
    out = run("shift", "close", "--help").stdout
    assert "盲点交班" in out
    assert "示例：\n    boxoffice shift close --counted 412.50\n" in out


def test_translated_example_heading_is_recognised() -> None:
    text = "做一件事。示例：boxoffice a --b\n    --c d\n\n示例：\n  boxoffice x\n  boxoffice y"
    assert examples_apart(text) == ("做一件事。\n\n\b\n示例：\n  boxoffice a --b --c d\n\n"
                                    "\b\n示例：\n  boxoffice x\n  boxoffice y")


def test_chinese_wraps_by_display_width() -> None:
    text = "实名演出（docs/real-name.md）每张票需要一个 --holder，不能多也不能少（holder_required）。"
    lines = _fill_wide(text, 40, "")
    assert all(sum(2 if "\u4e00" <= c <= "\u9fff" or c in "（），。" else 1 for c in line) <= 40 for line in lines)
    assert not any(line.startswith(("，", "。", "）")) or line.endswith("（") for line in lines)
    assert _wrap_wide("\b\n示例：\n  boxoffice x", 20, "  ") == "  示例：\n    boxoffice x"
