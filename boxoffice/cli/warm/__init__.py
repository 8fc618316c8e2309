"""The warm process: `boxoffice warm start` keeps the program imported, and `boxoffice sell`, `pickup` and the other
short counter commands start from it instead of from a cold interpreter (see client.py and zygote.py)."""
