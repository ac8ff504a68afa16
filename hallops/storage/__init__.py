"""Persistence: all SQL lives here. `db.py` is what both backends offer (write jobs, snapshot reads, events);
`sqlite.py` and `postgres.py` implement it; one port per subject (`tickets.py`, `halls.py`, `patrols.py` …,
gathered in `ports.py`) is what the application layer (hallops/usecases/) may ask of storage."""
