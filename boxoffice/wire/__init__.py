"""The sync protocol both sides speak: JSON Schemas of every message (schemas.py), checking them fast
(messages.py), and the JSON codec (codec.py). Pure: no I/O beyond reading the schemas shipped in the package."""
