"""One JSON Schema file per stream, shipped inside the wheel."""
