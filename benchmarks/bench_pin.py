"""What one guess at a PIN costs whoever holds a copy of the terminal database, as a ratio to a plain hash.

Subjects, each one guess checked against a stored hash:

    check_pin, today's cost    domain.pins.check_pin on a hash made by hash_pin (scrypt N=2**15, r=8, p=1: 32 MiB)
    check_pin, older cost      the same on a hash of the previous release (N=2**14, r=8: 16 MiB), rehashed at the
                               next good login

Floor: one SHA-256 of the salt and the PIN, what a guess would cost if PINs were stored with a fast hash. The
ratio is how many times longer each guess takes; the table also gives, from the median, the time one core needs
to try every 4-digit and every 6-digit PIN. There is no goal: the cost is chosen to stay in the tens of
milliseconds for a login on a counter PC, and the figure says what that buys (benchmarks/README.md).

    python benchmarks/bench_pin.py [-n 20] [--warmup 2]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Bench  # noqa: E402

from boxoffice.domain.pins import check_pin, hash_pin  # noqa: E402

PIN = "482916"


def _older_hash(pin: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt$16384$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def _days(seconds: float) -> str:
    return f"{seconds / 86400:.1f} days" if seconds >= 86400 else f"{seconds / 60:.0f} min"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="timed runs of each (default 20)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first (default 2)")
    args = parser.parse_args(argv)
    salt = os.urandom(16)
    today, older = hash_pin(PIN), _older_hash(PIN)
    wrong = "000000"
    bench = Bench("pin hashing")
    bench.floor("sha256(salt + PIN)", fn=lambda: hashlib.sha256(salt + wrong.encode()).digest())
    bench.subject("check_pin, today's cost (N=2**15, 32 MiB)", fn=lambda: check_pin(wrong, today))
    bench.subject("check_pin, older cost (N=2**14, 16 MiB)", fn=lambda: check_pin(wrong, older))
    rows = bench.run(n=args.n, warmup=args.warmup)
    for r in rows:
        print(f"{r['name']}: {r['median_s'] * 1000:.1f} ms a guess; every 4-digit PIN "
              f"{_days(r['median_s'] * 10**4)}, every 6-digit PIN {_days(r['median_s'] * 10**6)} on one core")
    return 0


if __name__ == "__main__":
    sys.exit(main())
