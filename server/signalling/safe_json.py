"""The JSON codec given to python-socketio: a payload too deep for Python's decoder is still answered.

The standard decoder raises RecursionError past about a thousand levels; python-socketio would then
drop the packet unanswered. Decoding it instead as the internal event TOO_DEEP_EVENT lets the
namespace answer `payload_too_deep` like any other refused event (keeping the acknowledgement id).
"""

from __future__ import annotations

import json
from typing import Any

TOO_DEEP_EVENT = "__helpwire_payload_too_deep__"


def dumps(obj: Any, *args: Any, **kwargs: Any) -> str:
    return json.dumps(obj, *args, **kwargs)


def loads(text: str | bytes, *args: Any, **kwargs: Any) -> Any:
    try:
        return json.loads(text, *args, **kwargs)
    except RecursionError:
        return [TOO_DEEP_EVENT, {}]
