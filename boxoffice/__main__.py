"""`python -m boxoffice`: the same command as the `boxoffice` script."""

from boxoffice.cli.warm.client import run

if __name__ == "__main__":
    run()
