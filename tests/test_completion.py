"""Shell completion: `boxoffice --show-completion` prints the script for the shell, `--install-completion` installs
it, and completing a word asks the program, whose commands are built only when needed (cli/lazy.py) but still
complete: root commands, a family's sub-commands, a command's options."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BOXOFFICE = Path(sys.executable).parent / "boxoffice"


def run(env: dict[str, str], *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("BOXOFFICE_", "_BOXOFFICE", "COMP_"))}
    return subprocess.run([str(BOXOFFICE), *args], env=base | {"HOME": str(home)} | env, capture_output=True,
                          text=True, timeout=60, check=False)


def complete(words: str, home: Path) -> list[str]:
    """What bash would offer after ``words`` (the last word being completed)."""
    parts = words.split(" ")
    done = run({"COMP_WORDS": words, "COMP_CWORD": str(len(parts) - 1), "_BOXOFFICE_COMPLETE": "complete_bash"},
               home=home)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_show_completion_prints_the_bash_script(tmp_path: Path) -> None:
    shown = run({"SHELL": "/bin/bash"}, "--show-completion", home=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "_BOXOFFICE_COMPLETE=complete_bash" in shown.stdout
    assert "complete -o default -F _boxoffice_completion boxoffice" in shown.stdout
    # --show-completion names the shell it runs under (here bash); a zsh user's script is the same call's:
    zsh = run({"_BOXOFFICE_COMPLETE": "source_zsh"}, home=tmp_path)
    assert zsh.returncode == 0 and "#compdef boxoffice" in zsh.stdout


def test_install_completion_writes_the_script_and_sources_it(tmp_path: Path) -> None:
    done = run({"SHELL": "/bin/bash"}, "--install-completion", home=tmp_path)
    assert done.returncode == 0, done.stderr
    script = tmp_path / ".bash_completions" / "boxoffice.sh"
    assert "_boxoffice_completion" in script.read_text(encoding="utf-8")
    assert f"source '{script}'" in (tmp_path / ".bashrc").read_text(encoding="utf-8")


def test_lazy_commands_complete(tmp_path: Path) -> None:
    assert complete("boxoffice cat", tmp_path) == ["catalog"]
    assert complete("boxoffice catalog ", tmp_path) == ["import", "export", "sample"]
    assert complete("boxoffice central sta", tmp_path) == ["status"]
    assert "--count" in complete("boxoffice refund K7M2-4XQ9 --c", tmp_path)
    everything = complete("boxoffice ", tmp_path)
    assert {"sell", "refund", "exchange", "counter", "central"} <= set(everything)


def test_help_lists_the_completion_options(tmp_path: Path) -> None:
    shown = run({}, "--help", home=tmp_path)
    assert "--install-completion" in shown.stdout and "--show-completion" in shown.stdout
