"""A pull page's kind, time and origin are written as json.dumps writes them, whichever encoder writes them
(central/services/feed.py)."""

from __future__ import annotations

import json
import sys

from boxoffice.central.services.feed import _short_text


def test_the_short_texts_of_a_page_are_json_dumps_own_for_every_character() -> None:
    chars = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    texts = [None, "", "order", "2026-12-04T14:18:41.190789Z", "01a2416b-e6e1-7105-b76b-91230d2afcc5", 'a"b\\c/']
    texts += chars[:512] + ["".join(chars[i:i + 4096]) for i in range(0, len(chars), 4096)]
    texts += ["".join(chars[32:127])]  # printable ASCII alone: the text orjson writes
    for text in texts:
        assert _short_text(text) == json.dumps(text), repr(text)
