"""The ``glassnet`` command (also ``python -m glassnet``): train, evaluate, predict, data."""
