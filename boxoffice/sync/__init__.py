"""The terminal's side of sync (docs/sync.md): the HTTP client, applying pulled changes, the --watch loop, and the
message checks both ends share. httpx is imported only by client.py."""
