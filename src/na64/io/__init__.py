"""Input and output: atomic writes, provenance, columnar event files."""

from .atomic import atomic_path, atomic_write_bytes, atomic_write_text

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text"]
