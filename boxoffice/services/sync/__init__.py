"""The terminal's side of sync as use cases: a round of push and pull (rounds.py; the pull itself: pull.py), where
sync stands (status.py), flags and the names they mention (flags.py), applying pulled changes (apply.py),
recovering the terminal from the central service (recovery.py, replay.py) and the watch loop (watch.py). The
network is reached only through a transport given to them (transport.py; boxoffice/sync/client.py is the HTTP
one)."""
