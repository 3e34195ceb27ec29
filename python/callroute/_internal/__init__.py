"""Internal helpers shared by the package's modules; not a public API."""
