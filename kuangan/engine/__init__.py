"""Framework-free monitoring engine (filled by the monitoring issue)."""
