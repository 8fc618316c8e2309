"""The terminal's side of sync as use cases: a round of push and pull (rounds.py), applying pulled changes
(apply.py), recovering the terminal from the central service (recovery.py, replay.py) and the watch loop
(watch.py). The network is reached only through a transport given to them (boxoffice/sync/client.py)."""
