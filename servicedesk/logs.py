"""Logging pieces the settings' LOGGING refers to."""

import logging


class ClientErrorWithoutTraceback(logging.Filter):
    """A 4xx answer (a refused page, a missing record, a bad request) is the visitor's doing, not
    a fault: log it as its one line, without the traceback of the exception that produced it.
    Tracebacks stay on 5xx records and on everything that is not a response."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
