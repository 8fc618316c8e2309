"""`python -m boxoffice`: the same command as the `boxoffice` script."""

from boxoffice.cli.main import run

if __name__ == "__main__":
    run()
