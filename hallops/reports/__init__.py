"""Statistics and briefings: figures from rows, charts, documents and their publication."""
