"""JSON log lines for gunicorn's access log, one field per part of the request."""

from pythonjsonlogger.json import JsonFormatter

# gunicorn passes a dict of "atoms" as the log record's arguments: these become fields.
ACCESS_FIELDS = {
    "h": "remote",
    "m": "method",
    "U": "path",
    "s": "status",
    "B": "bytes",
    "M": "duration_ms",
    "{x-forwarded-for}i": "forwarded_for",
    "{user-agent}i": "user_agent",
}


class AccessJsonFormatter(JsonFormatter):
    def add_fields(self, log_record: dict, record, message_dict: dict) -> None:
        super().add_fields(log_record, record, message_dict)
        if isinstance(record.args, dict):
            for atom, field in ACCESS_FIELDS.items():
                value = record.args.get(atom)
                if value not in (None, "-"):
                    log_record[field] = value
            log_record.pop("message", None)
