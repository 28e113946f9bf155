"""The record's two errors, importable without the database libraries."""


class RecordError(Exception):
    """A record that cannot be used: not a record, made by a newer tool, unreachable."""


class RecordBusy(Exception):
    """Another command held the record's write lock for longer than the wait."""
