"""Writing: from a text to checked, wrapped, redrawn lines, styles, and the rendered page."""
