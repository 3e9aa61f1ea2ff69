"""The engine's only contact with the file system: the drop folder it reads uploads from and the
Parquet store it writes readings to (E2)."""
