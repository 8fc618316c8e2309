"""The HTTP face of the central service: the FastAPI app, its routes, auth and limits. No SQL here."""
