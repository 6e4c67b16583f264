"""Command-line tools for operators, grouped under `python -m bot`."""
