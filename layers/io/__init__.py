"""Import and export of layers: readers, column maps, validation, writers, and their pages."""
