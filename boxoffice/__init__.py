"""boxoffice: box-office and on-site sales for venues, offline first."""

__version__ = "0.1.0"
