"""A print job's outcome ("printed") is kept without a disk flush of its own, and no sale loses its flush.

The sale commits with a disk flush; the job's "printed" mark goes to the WAL without one and rides on the next
sale's flush (store/print_jobs.outcome_write). What a user checks: a printed sale waits for the disk once, the
next sale is still flushed, a process killed after printing does not print again, and a job whose mark never
made it is printed by `boxoffice print retry`.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_sales_kit import EVENT, Counter, make_counter, subprocess_env

from boxoffice.printing.transport import SPOOL_HEADER

# Run in a process of its own: the terminal opened, one sale printed to the file printer, then ``{after}``.
SCRIPT = """
import os, signal, sys
from boxoffice.config import load
from boxoffice.domain.tenders import Tender
from boxoffice.services.opening import open_terminal
from boxoffice.services.printing import run_jobs
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.store import print_jobs

ctx = open_terminal(load({config!r}, {db!r}))

def sale_printed():
    sale = sell(ctx, SaleRequest(event_id={event!r}, section_id="stalls", counts={{"adult": 1}},
                                 tenders=[Tender("card", card_last4="4242")]))
    return run_jobs(ctx, sale["jobs"])

{after}
"""


def run_script(counter: Counter, after: str, *, wrap: list[str] | None = None) -> subprocess.CompletedProcess:
    code = SCRIPT.format(config=str(counter.config), db=str(counter.db), event=EVENT, after=textwrap.dedent(after))
    return subprocess.run([*(wrap or []), sys.executable, "-c", code], env=subprocess_env(), capture_output=True,
                          text=True, timeout=120, check=False)


def copies_printed(counter: Counter, sink: Path) -> int:
    """How many times the file printer received the one ticket sold (its token is in the QR command)."""
    data = sink.read_bytes()
    assert data.startswith(SPOOL_HEADER)
    (token,) = [t for (t,) in counter.query("SELECT token FROM tickets")]
    return data.count(token.encode())


@pytest.fixture
def counter(tmp_path: Path) -> Counter:
    return make_counter(tmp_path / "counter", printer=f"file://{tmp_path / 'printer.bin'}")


def test_a_process_killed_right_after_printing_keeps_the_mark_and_retry_prints_nothing(counter: Counter,
                                                                                       tmp_path: Path) -> None:
    sink = tmp_path / "printer.bin"
    done = run_script(counter, """
        (result,) = sale_printed()
        print(result["status"], flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert done.stdout.split() == ["printed"]
    assert copies_printed(counter, sink) == 1

    assert counter.cli_json("print", "jobs", "--pending") == [], "the mark outlived the killed process"
    (job,) = counter.cli_json("print", "jobs")
    assert job["status"] == "printed" and job["attempts"] == 1 and job["printed_at"]
    retried = counter.cli("print", "retry")
    assert retried.exit_code == 0, retried.output
    assert "Nothing waiting to print" in retried.stdout
    assert copies_printed(counter, sink) == 1, "no second ticket"


def test_a_job_whose_mark_never_committed_is_printed_again_by_retry(counter: Counter, tmp_path: Path) -> None:
    """The mark lost (here: the process dies between the printer and the mark; a power cut before the next
    sale's flush is the same): the sale stands and retry prints the same tickets again."""
    sink = tmp_path / "printer.bin"
    done = run_script(counter, """
        def killed(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
        print_jobs.mark_printed = killed
        sale_printed()
    """)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert copies_printed(counter, sink) == 1
    (order_id,) = counter.query("SELECT id FROM orders")[0]

    (job,) = counter.cli_json("print", "jobs", "--pending")
    assert job["status"] == "pending" and job["order_id"] == order_id
    retried = counter.cli("print", "retry")
    assert retried.exit_code == 0, retried.output
    assert "1 of 1 job(s) printed" in retried.stdout
    assert copies_printed(counter, sink) == 2, "the same ticket again, same token: the door admits it once"
    assert counter.query("SELECT count(*) FROM orders") == [(1,)], "one sale, never two"
    assert counter.cli_json("print", "jobs", "--pending") == []


FLUSHES = re.compile(r"^\d+\s+f(?:data)?sync\((\d+)<([^>]*)>\)", re.MULTILINE)


def test_a_printed_sale_waits_for_the_disk_once_and_the_next_sale_still_does(counter: Counter,
                                                                            tmp_path: Path) -> None:
    if shutil.which("strace") is None:
        check_flush_settings(counter)  # no strace here: what SQLite was told to flush, statement by statement
        return
    trace = tmp_path / "trace.txt"
    done = run_script(counter, """
        ctx.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # no checkpoint falls in what is counted
        sale_printed()  # warm: imports, caches, and the WAL started again (its header has a flush of its own)
        os.write(2, b"== counted\\n")
        results = sale_printed() + sale_printed()
        os.write(2, b"== done\\n")
        print(" ".join(r["status"] for r in results), flush=True)
        os._exit(0)  # no checkpoint on close either
    """, wrap=["strace", "-f", "-y", "-e", "trace=fsync,fdatasync,write", "-o", str(trace)])
    if done.returncode != 0 and "ptrace" in done.stderr:
        check_flush_settings(counter)  # strace may not trace in this container
        return
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["printed", "printed"]
    text = trace.read_text()
    counted = text[text.index("== counted"):text.index("== done")]
    flushed = [path for _, path in FLUSHES.findall(counted)]
    assert flushed and all(path.startswith(str(counter.db)) for path in flushed), flushed
    # One flush per sale (the sale's WAL commit); the "printed" marks add none. The second sale's flush also
    # proves the connection is back to flushing every commit after the first sale's mark.
    assert len(flushed) == 2, counted


def check_flush_settings(counter: Counter) -> None:
    """Without strace: each sale's statements run with ``synchronous=FULL`` (its commit flushed), each "printed"
    mark inside ``synchronous=NORMAL`` (not flushed), and the connection is back to FULL before the next sale."""
    done = run_script(counter, """
        import json
        sale_printed()
        said = []
        ctx.conn.set_trace_callback(said.append)
        results = sale_printed() + sale_printed()
        ctx.conn.set_trace_callback(None)
        print(json.dumps({"status": [r["status"] for r in results], "said": said}), flush=True)
    """)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["status"] == ["printed", "printed"]
    setting, marks, sales = "FULL", 0, 0
    for statement in out["said"]:
        text = " ".join(statement.split()).upper()
        if text.startswith("PRAGMA SYNCHRONOUS="):
            setting = text.split("=", 1)[1].strip()
        elif text.startswith("UPDATE PRINT_JOBS SET STATUS = 'PRINTED'"):
            assert setting == "NORMAL", "a printed mark is committed without a flush of its own"
            marks += 1
        elif text.startswith("INSERT INTO ORDERS"):
            assert setting == "FULL", "every sale is flushed, the one after a printed mark too"
            sales += 1
    assert (marks, sales) == (2, 2), out["said"]
