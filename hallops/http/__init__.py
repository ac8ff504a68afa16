"""The HTTP face: `create_app(config)` in app.py, the route table in routes.py, thin handlers beside it."""
