"""The long abuse run: coverage-guided fuzzing (atheris) of every parser for a while each, then the abuse tests with
many times more generated examples, drawn at random instead of the same ones every CI run.

    .venv/bin/python benchmarks/bench_abuse.py                     # 60 s per atheris target, tests at x20
    .venv/bin/python benchmarks/bench_abuse.py --seconds 600 --scale 50
    .venv/bin/python benchmarks/bench_abuse.py --only token image  # some atheris targets, no pytest part

atheris (`pip install atheris`, it needs a C compiler) is optional: without it the fuzzing part is skipped and
says so. Each target takes the fuzzer's bytes and must only ever answer, or refuse with BoxOfficeError (the
documented codes): any other exception is a crash, kept as a file to reproduce it with
`python benchmarks/bench_abuse.py --target NAME --reproduce FILE`. The goal is no crash and no failing test.

Targets:
  token     tickets.token.decode_token and verify_token on any text (and the same bytes read as Base45)
  image     services.tickets.decode_image on any file: images of any format, broken ones, noise
  catalog   the catalogue document: JSON parse, schema, then domain.catalog.build_catalog
  orders    the web-order and keys documents, imported into a real terminal (whole or refused whole)
  amounts   every typed value parser: amounts, card references, type counts, seat lists, order codes, dates
  effects   what the central service reads from a pushed journal entry (central.effects.read), any kind
  changes   a terminal's checks of what the central service sends (sync.messages.problems) on any JSON

Prints a table and appends one JSON line per part to benchmarks/results/latest.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(HERE))

TARGETS = ["token", "image", "catalog", "orders", "amounts", "effects", "changes"]


# --- the targets: each takes bytes; only BoxOfficeError may come out -----------------------------------------


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _json_doc(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def _spliced(text: str, data: bytes) -> Any:
    """Keep the fuzzer near a real document: its bytes written over a real document's text at a place it picks."""
    if not data:
        return None
    at = data[0] * len(text) // 256
    return _json_doc((text[:at] + _text(data[1:]) + text[at + len(data) - 1:]).encode())


class Targets:
    """Set up once per process (keys, a terminal), then called for every input."""

    def __init__(self, name: str, work: Path) -> None:
        self.name, self.work = name, work
        getattr(self, f"_setup_{name}", lambda: None)()

    def __call__(self, data: bytes) -> None:
        from boxoffice.errors import BoxOfficeError

        try:
            getattr(self, f"_{self.name}")(data)
        except BoxOfficeError as exc:
            if "\n" in exc.message:
                raise AssertionError(f"a refusal of more than one line: {exc.message!r}") from None

    # token
    def _setup_token(self) -> None:
        from boxoffice.tickets import keys
        from boxoffice.tickets.token import TicketClaims, sign_token

        private, public = keys.generate_keypair()
        self.kid, self.public = keys.key_id(public), public
        self.real = sign_token(TicketClaims("01a207e4-1a48-7120-aec6-332c60a2633d", "night", "stalls", "RAA", "12"),
                               private, self.kid)

    def _token(self, data: bytes) -> None:
        from boxoffice.tickets.token import b45encode, decode_token, verify_token

        for text in (_text(data), b45encode(data), self.real[: len(data) % 160] + _text(data[:8])):
            try:
                decode_token(text)
            except Exception as exc:  # noqa: BLE001 - anything but the one refusal is a crash
                if type(exc).__name__ != "BoxOfficeError":
                    raise
            try:
                verify_token(text, lambda kid: self.public if kid == self.kid else None, lambda tid: False)
            except Exception as exc:  # noqa: BLE001
                if type(exc).__name__ != "BoxOfficeError":
                    raise

    # image
    def _setup_image(self) -> None:
        import io

        from PIL import Image

        self.seeds = []
        for fmt in ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP"):
            out = io.BytesIO()
            Image.new("RGB", (32, 32), "white").save(out, fmt)
            self.seeds.append(out.getvalue())
        self.path = self.work / "photo"

    def _image(self, data: bytes) -> None:
        import warnings

        from boxoffice.services.tickets import decode_image

        # Half the time the fuzzer's bytes go into a real image's body, so the decoders get past the header.
        if data and data[0] % 2:
            seed = self.seeds[data[0] % len(self.seeds)]
            cut = int.from_bytes(data[1:3] or b"\0", "big") % len(seed)
            data = seed[:cut] + data[3:] + seed[cut + len(data):]
        self.path.write_bytes(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            decode_image(str(self.path))

    # catalog
    def _setup_catalog(self) -> None:
        from stress_helpers import stress_catalogue

        self.catalogue = json.dumps(stress_catalogue())

    def _catalog(self, data: bytes) -> None:
        from boxoffice.domain.catalog import build_catalog
        from boxoffice.wire.schemas import validate

        doc = _json_doc(data)
        if doc is None:
            doc = _spliced(self.catalogue, data)
        validate(doc, "catalog.schema.json", "catalogue")
        build_catalog(doc)

    # orders
    def _setup_orders(self) -> None:
        from conftest import T0
        from pickup_fixtures import Central, orders_doc, standard_orders

        from boxoffice.config import load
        from boxoffice.services.catalog import import_catalog
        from boxoffice.services.demo_catalog import demo_catalog
        from boxoffice.services.operators import add_operator, login
        from boxoffice.services.terminal import init_terminal
        from boxoffice.services.web_orders import import_keys

        self.ctx = init_terminal(load(db=str(self.work / "terminal.db")), "Fuzz", lambda: T0)
        add_operator(self.ctx, "ada", "admin", "123456")
        login(self.ctx, "ada", "123456")
        import_catalog(self.ctx, demo_catalog(T0.date()))
        central = Central.make()
        import_keys(self.ctx, central.keys_doc())
        self.doc = orders_doc(list(standard_orders(central, "gala-1208", "jazz-1215").values()))

    def _orders(self, data: bytes) -> None:
        from boxoffice.services.web_orders import import_keys, import_orders

        doc = _json_doc(data)
        if doc is None:
            doc = _spliced(json.dumps(self.doc), data)
        if isinstance(doc, list):
            import_keys(self.ctx, doc)
        else:
            import_orders(self.ctx, doc)

    # amounts
    def _amounts(self, data: bytes) -> None:
        from boxoffice.domain.codes import normalise_code
        from boxoffice.domain.money import parse_amount
        from boxoffice.domain.pricing import parse_type_counts
        from boxoffice.domain.tenders import parse_card

        text = _text(data)
        for fn in (lambda: parse_amount(text, "GBP"), lambda: parse_amount(text, "JPY"),
                   lambda: parse_card(text, "EUR"), lambda: parse_type_counts(text.split("\n")),
                   lambda: normalise_code(text)):
            try:
                fn()
            except Exception as exc:  # noqa: BLE001
                if type(exc).__name__ != "BoxOfficeError":
                    raise

    # effects: the payloads the services write, with the fuzzer's bytes spliced in
    PAYLOADS = {
        "sale": {"order": {"id": "o1", "code": "K7M2-4XQ9", "event_id": "night", "channel": "box_office",
                           "status": "paid", "customer_name": None, "total": 7000, "tax": 1167, "currency": "GBP",
                           "created_at": "2031-05-20T17:30:00Z"},
                 "tickets": [{"id": "t1", "section_id": "stalls", "row": "A", "seat": "1", "ticket_type_id": "adult",
                              "price": 3500, "tax": 583, "token": "NCF8"}], "payments": []},
        "refund": {"refund": {"id": "r1", "order_id": "o1"}, "items": [{"ticket_id": "t1", "price": 3500}],
                   "revoked": ["t1"], "payments": []},
        "pickup": {"order": "o1", "code": "W222-2222", "tickets": ["t1", "t2"]},
        "checkin": {"nonce": "n1", "ticket": "t1", "event": "night", "direction": "in", "at": "x"},
        "exchange": {"exchange": {"id": "x1", "from_order_id": "o1"}, "old_tickets": ["t1"], "order": None},
    }

    def _effects(self, data: bytes) -> None:
        from boxoffice.central.services.effects import read

        kinds = sorted(self.PAYLOADS)
        kind = kinds[data[0] % len(kinds)] if data else "sale"
        text = json.dumps(self.PAYLOADS[kind])
        spliced = _spliced(text, data[1:])
        payload = json.dumps(spliced) if spliced is not None else _text(data[1:])
        read({"id": "e", "terminal_id": "t", "kind": kind, "at": "x", "operator_id": None, "payload": payload})

    # changes: what a terminal checks before it applies a page from the central service
    PAGE = {"changes": [{"cursor": 1, "kind": "order", "at": "2031-05-20T17:30:00Z",
                         "body": {"order": PAYLOADS["sale"]["order"], "tickets": PAYLOADS["sale"]["tickets"]}},
                        {"cursor": 2, "kind": "revocation", "at": "2031-05-20T17:30:00Z",
                         "body": {"ticket_id": "t1", "reason": "refunded", "at": "2031-05-20T17:30:00Z"}}],
            "cursor": 2, "head": 2}

    def _changes(self, data: bytes) -> None:
        from boxoffice.wire.messages import problems

        doc = _json_doc(data)
        if doc is None:
            doc = _spliced(json.dumps(self.PAGE), data)
        for schema in ("sync-changes.schema.json", "sync-push-response.schema.json",
                       "sync-enroll-response.schema.json"):
            problems(doc, schema)


def _fuzz_child(name: str, seconds: int, corpus: Path, artifacts: Path) -> None:
    """Run inside the child process: atheris on one target until the time is up."""
    import atheris

    with atheris.instrument_imports():
        import boxoffice.central.services.effects  # noqa: F401
        import boxoffice.domain.catalog  # noqa: F401
        import boxoffice.services.tickets  # noqa: F401
        import boxoffice.services.web_orders  # noqa: F401
        import boxoffice.tickets.token  # noqa: F401
    work = Path(tempfile.mkdtemp(prefix=f"fuzz-{name}-"))
    target = Targets(name, work)
    atheris.Setup([sys.argv[0], str(corpus), f"-max_total_time={seconds}", f"-artifact_prefix={artifacts}/",
                   "-rss_limit_mb=4096", "-print_final_stats=1"], target)
    atheris.Fuzz()


def fuzz(name: str, seconds: int, out: Path) -> dict[str, Any]:
    corpus, artifacts = out / f"corpus-{name}", out / f"crashes-{name}"
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--child", name, "--seconds", str(seconds), "--out", str(out)],
                          capture_output=True, text=True, timeout=seconds * 3 + 120)
    took = time.perf_counter() - start
    log = done.stdout + done.stderr
    runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", log)
    cov = re.findall(r"cov: (\d+)", log)
    crashes = sorted(p.name for p in artifacts.iterdir())
    return {"target": name, "executions": int(runs[-1]) if runs else None, "coverage": int(cov[-1]) if cov else None,
            "seconds": round(took), "crashes": crashes, "exit": done.returncode,
            "tail": "" if done.returncode == 0 else log[-1500:]}


def hypothesis_run(scale: int) -> dict[str, Any]:
    tests = ["tests/test_stress_abuse_cli.py", "tests/test_stress_abuse_documents.py",
             "tests/test_stress_abuse_sync.py"]
    env = dict(os.environ, STRESS_ABUSE_SCALE=str(scale))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-o", "addopts=", "-q", "-p", "no:cacheprovider", *tests],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    summary = [ln for ln in done.stdout.splitlines() if " passed" in ln or " failed" in ln]
    return {"scale": scale, "seconds": round(took), "exit": done.returncode,
            "summary": summary[-1].strip("= ") if summary else done.stdout[-300:],
            "failures": [ln for ln in done.stdout.splitlines() if ln.startswith("FAILED")]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=60, help="atheris time per target")
    ap.add_argument("--scale", type=int, default=20, help="the abuse tests' examples times this (0: skip them)")
    ap.add_argument("--only", nargs="*", choices=TARGETS, help="only these atheris targets")
    ap.add_argument("--out", type=Path, default=None, help="where corpora and crashes go (default: a temp dir)")
    ap.add_argument("--target", choices=TARGETS, help="with --reproduce: run one input through one target")
    ap.add_argument("--reproduce", type=Path)
    ap.add_argument("--child", choices=TARGETS, help=argparse.SUPPRESS)
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-abuse-"))
    if args.child:
        _fuzz_child(args.child, args.seconds, out / f"corpus-{args.child}", out / f"crashes-{args.child}")
        return 0
    if args.reproduce:
        Targets(args.target, Path(tempfile.mkdtemp()))(args.reproduce.read_bytes())
        print("no crash")
        return 0

    from harness import RESULTS, _commit

    stamp = {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "machine": f"{os.cpu_count()}-core {platform.node()}", "python": platform.python_version(),
             "commit": _commit()}
    rows = []
    try:
        import atheris  # noqa: F401

        have_atheris = True
    except ImportError:
        have_atheris = False
        print("atheris is not installed (pip install atheris): the fuzzing part is skipped")
    if have_atheris and args.seconds:
        for name in args.only or TARGETS:
            r = fuzz(name, args.seconds, out)
            rows.append({"bench": "abuse", "name": f"atheris {name}", **r, "goal": "0 crashes",
                         "met": not r["crashes"] and r["exit"] == 0, **stamp})
            print(f"atheris {name:<8} {r['executions'] or 0:>10,} inputs in {r['seconds']:>4} s, coverage "
                  f"{r['coverage']}, crashes: {len(r['crashes'])}" + (f"  EXIT {r['exit']}" if r["exit"] else ""))
            if r["tail"]:
                print("    " + r["tail"].replace("\n", "\n    ")[-1200:])
    if args.scale and not args.only:
        h = hypothesis_run(args.scale)
        rows.append({"bench": "abuse", "name": f"abuse tests x{args.scale}", **h, "goal": "0 failures",
                     "met": h["exit"] == 0, **stamp})
        print(f"abuse tests x{args.scale}: {h['summary']} in {h['seconds']} s")
        for f in h["failures"][:20]:
            print(f"    {f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, default=str) + "\n")
    print(f"corpora and any crashes: {out}")
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
