"""The JSON Schemas, shipped inside the package as boxoffice.json_schemas (see boxoffice/schemas.py)."""
