"""Log lines as JSON, one object a line, without what could name a client.

An exception's message is left out (its type and the traceback's file:line frames stay):
PostgreSQL's DETAIL lines, validation errors and provider errors carry the record's values.
"""

import json
import logging
import traceback
from datetime import UTC, datetime


def exception_name(kind: type[BaseException]) -> str:
    """An exception class as module.Name (`django.db.utils.IntegrityError`)."""
    return f"{kind.__module__}.{kind.__qualname__}"


class JsonFormatter(logging.Formatter):
    """time (ISO 8601, UTC), level, logger, message; for an exception its type and frames."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0]:
            kind, _error, trace = record.exc_info
            line["exception"] = {
                "type": exception_name(kind),
                "frames": [
                    f"{frame.filename}:{frame.lineno}" for frame in traceback.extract_tb(trace)
                ],
            }
        return json.dumps(line, ensure_ascii=False, default=str)
