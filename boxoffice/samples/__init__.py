"""Documents that ship with the package for a newcomer to start from (read with importlib.resources).

venue.json is a whole catalogue (schemas/catalog.schema.json): a small theatre with a seated hall, a standing
floor, two events, four ticket types and a refund policy. `boxoffice catalog sample` writes it with its events
moved to the weeks ahead; `boxoffice catalog import --sample` imports it so.
"""
