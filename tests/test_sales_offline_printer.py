"""A printer that does not answer never loses or doubles a sale: the sale stands, the job waits, retry prints once."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from test_sales_kit import (
    Counter,
    TcpPrinter,
    boxoffice_command,
    closed_port,
    escpos_pieces,
    make_counter,
    subprocess_env,
)

PRINTER_OFFLINE = 7


@pytest.fixture
def counter(tmp_path: Path) -> Counter:
    return make_counter(tmp_path / "counter")


def pending_jobs(counter: Counter) -> list[dict]:
    return counter.cli_json("print", "jobs", "--pending")


def test_sale_with_the_printer_off_is_kept_and_retry_prints_it_exactly_once(counter: Counter) -> None:
    port = closed_port()
    counter.set_printer(f"tcp://127.0.0.1:{port}")

    result = counter.cli("sell", "spring-gala", "--section", "stalls", "--type", "adult=2", "--cash", "100")
    assert result.exit_code == PRINTER_OFFLINE, result.output
    assert "SOLD" in result.stdout and "CHANGE 30.00" in result.stdout, "the seller still sees the sale and change"
    assert "NOT PRINTED" in result.stderr and f"127.0.0.1:{port}" in result.stderr
    assert "print retry" in result.stderr, "the message says what to do next"
    assert "Traceback" not in result.output
    code = result.stdout.split("SOLD ", 1)[1].split()[0]

    order = counter.cli_json("order", "show", code)
    assert order["status"] == "paid" and len(order["tickets"]) == 2
    assert [t["token"] for t in order["tickets"]] == [None, None]  # a seller is shown no ticket's QR
    assert counter.cli("login", "sue", pin="222222").exit_code == 0  # a supervisor, who may reprint, is
    tokens = [t["token"] for t in counter.cli_json("order", "show", code)["tickets"]]
    assert counter.cli("login", "sam", pin="1111").exit_code == 0
    for token in tokens:
        assert counter.cli("ticket", "verify", token).exit_code == 0
    (job,) = pending_jobs(counter)
    assert job["status"] == "failed" and job["attempts"] == 1 and job["order_id"] == order["id"]
    assert job["last_error"]

    still_off = counter.cli("print", "retry")
    assert still_off.exit_code == PRINTER_OFFLINE
    (job,) = pending_jobs(counter)
    assert job["attempts"] == 2

    with TcpPrinter(port) as printer:
        retried = counter.cli("print", "retry")
        assert retried.exit_code == 0, retried.output
        assert "1 of 1 job(s) printed" in retried.stdout
        (data,) = printer.wait_for(1)
        again = counter.cli("print", "retry")
        assert again.exit_code == 0
        assert "Nothing waiting to print" in again.stdout
        time.sleep(0.3)
        assert len(printer.jobs) == 1, "the second retry sent nothing"
    _, pieces = escpos_pieces(data)
    assert [p["qrs"] for p in pieces] == [[t] for t in tokens] + [[]]
    assert "Change" in pieces[-1]["text"]
    assert pending_jobs(counter) == []
    assert counter.query("SELECT count(*) FROM orders") == [(1,)], "one sale, never two"


def test_sale_with_the_printer_off_reports_json_with_the_failed_job(counter: Counter) -> None:
    counter.set_printer(f"tcp://127.0.0.1:{closed_port()}")
    result = counter.cli("sell", "spring-gala", "--section", "standing", "--type", "adult=1", "--card", "4242",
                         "--json")
    assert result.exit_code == PRINTER_OFFLINE
    out = json.loads(result.stdout)
    assert out["order"] and len(out["tickets"]) == 1
    assert [p["status"] for p in out["print"]] == ["failed"]
    assert out["print"][0]["code"] == "printer_offline"


def test_retry_goes_to_the_printer_configured_now(counter: Counter, tmp_path: Path) -> None:
    counter.set_printer(f"tcp://127.0.0.1:{closed_port()}")
    sale = counter.sell("--section", "standing", "--type", "adult=1", "--card", "4242", status=PRINTER_OFFLINE)
    with TcpPrinter() as replacement:
        counter.set_printer(replacement.uri)
        assert counter.cli("print", "retry").exit_code == 0
        (data,) = replacement.wait_for(1)
    _, pieces = escpos_pieces(data)
    assert pieces[0]["qrs"] == [sale["tickets"][0]["token"]]


def test_pdf_printer_into_an_unwritable_place_keeps_the_sale(counter: Counter, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the ticket folder should be")
    counter.set_printer(f"pdf://{blocker}/tickets")
    sale = counter.sell("--section", "standing", "--type", "adult=1", "--card", "4242", status=PRINTER_OFFLINE)
    assert counter.cli_json("order", "show", sale["order"])["status"] == "paid"
    counter.set_printer(f"pdf://{tmp_path / 'tickets'}")
    assert counter.cli("print", "retry").exit_code == 0
    assert len(list((tmp_path / "tickets").glob(f"{sale['order']}-*.pdf"))) == 1


def test_two_retries_at_once_print_each_waiting_job_once(counter: Counter) -> None:
    port = closed_port()
    counter.set_printer(f"tcp://127.0.0.1:{port}")
    tokens = [counter.sell("--section", "standing", "--type", "adult=1", "--card", "4242",
                           status=PRINTER_OFFLINE)["tickets"][0]["token"] for _ in range(4)]
    command = [*boxoffice_command(), "--db", str(counter.db), "--config", str(counter.config), "print", "retry"]
    with TcpPrinter(port) as printer:
        processes = [subprocess.Popen(command, env=subprocess_env(), stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE) for _ in range(3)]
        statuses = [p.wait(timeout=60) for p in processes]
        for p in processes:
            p.stdout.close()
            p.stderr.close()
        printer.wait_for(4)
        time.sleep(0.3)
        received = list(printer.jobs)
    assert statuses == [0, 0, 0]
    assert len(received) == 4, "each waiting job printed once, whichever process printed it"
    scanned = sorted(p["qrs"][0] for job in received for p in escpos_pieces(job)[1] if p["qrs"])
    assert scanned == sorted(tokens)
    assert pending_jobs(counter) == []
