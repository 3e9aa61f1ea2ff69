"""Numbers of the workforce app, each with its source. Defaults only: settings (KUANGAN_*) override them."""

# R5.1 / issue 20: the mine's head and safety officers are told once of a special operator's certificate
# this many days before it expires. 未找到依据 (no official lead time was found): a setting,
# KUANGAN_CERTIFICATE_NOTICE_DAYS, and the workers page says so.
CERTIFICATE_NOTICE_DAYS = 30
CERTIFICATE_NOTICE_SOURCE = "未找到依据"

# The Excel import of workers and certificates (like the mine ledger's import).
MAX_IMPORT_ROWS = 10000
MAX_IMPORT_BYTES = 5 * 1024 * 1024
