"""Ticket printing on ESC/POS network printers (80 mm thermal paper), kept apart from the HTTP layer."""
