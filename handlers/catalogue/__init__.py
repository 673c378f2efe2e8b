"""Pure text helpers for the product catalogue: price parsing, categories and search."""
