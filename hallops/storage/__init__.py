"""Persistence. `Database` owns the SQLite file (one writer, readers beside it); `Store` is the narrow
interface the layers above use, so another backend (PostgreSQL) can later stand behind it unchanged."""
