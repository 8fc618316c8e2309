"""Ticket tokens: Ed25519 keys (keys.py) and the signed, Base45-encoded QR payload (token.py).

Nothing is imported here so that ``import boxoffice.tickets`` stays free of the cryptography library.
"""
