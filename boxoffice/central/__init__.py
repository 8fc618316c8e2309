"""The central service many terminals share (docs/sync.md): its database, HTTP API and admin use cases.

Nothing here is imported by a terminal's ordinary commands; FastAPI and uvicorn only by `boxoffice central serve`.
"""
