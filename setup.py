"""Package layout that pyproject.toml cannot state: the top-level schemas/ folder ships as boxoffice.json_schemas.

schemas/ stays where the documentation puts it (one copy, beside docs/), and every installed copy of boxoffice
(editable, `pip install .`, a wheel, pipx) still carries it. Every other setting is in pyproject.toml; package data
is picked up by pattern there, so a new schema or .sql file ships without touching this file.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["boxoffice", "boxoffice.*"]), "boxoffice.json_schemas"],
    package_dir={"boxoffice.json_schemas": "schemas"},
)
