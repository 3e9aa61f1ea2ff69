"""The tables the engine passes between its steps: column names and Polars types, in one place.

Times are naive `pl.Datetime("us")` in Beijing local time, exactly as the mines' files write them
(FORMATS.md: "Beijing time, no zone"); the monitoring app attaches Asia/Shanghai at its boundary.
Codes stay strings (leading zeros, producers with 9/11/20-character mine codes).
"""

from __future__ import annotations

import polars as pl

TIME = pl.Datetime("us")

Schema = dict[str, pl.DataType | type[pl.DataType]]  # a frame's columns and their types

# One row per input file, accepted or not.
FILES: Schema = {
    "file_id": pl.UInt32,  # index of the file in its batch; the other tables refer to it
    "name": pl.String,  # the original file name
    "sha256": pl.String,
    "mine_code": pl.String,  # from the header (falls back to the file name when the header is unreadable)
    "mine_name": pl.String,
    "family": pl.String,  # "A" for the national format; the recognised name of another family otherwise
    "file_type": pl.String,  # CDDY, CDSS, FZDY, FZSS, TJSJ, YCBJ (or the type of an unsupported family)
    "header_time": TIME,  # the header's upload time: what "newest" means
    "arrival": TIME,  # when the file reached the platform, as the parser was told (null: not told)
    "encoding": pl.String,  # "utf-8" or "gb18030"
    "status": pl.String,  # accepted | quarantined | incomplete (no `||` yet: retry later)
    "reason": pl.String,  # why a file was quarantined or is incomplete, in Chinese; null when accepted
    "records": pl.UInt32,  # record segments in the file
    "rejected": pl.UInt32,  # of which quarantined
    "foreign": pl.UInt32,  # of the rejected, records naming a point or outstation of another mine
}

# CDDY: point definitions (24 fields).
DEFINITIONS: Schema = {
    "file_id": pl.UInt32,
    "mine_code": pl.String,
    "point_code": pl.String,
    "system_code": pl.String,
    "outstation_code": pl.String,
    "sensor_type": pl.String,  # four digits, e.g. "0001" methane; unknown codes kept
    "value_type": pl.String,  # MN analog, KG switch, LJ cumulative, DT multi-state
    "unit": pl.String,
    "range_high": pl.Float64,
    "range_low": pl.Float64,
    "upper_alarm": pl.Float64,
    "upper_alarm_clear": pl.Float64,
    "lower_alarm": pl.Float64,
    "lower_alarm_clear": pl.Float64,
    "upper_power_off": pl.Float64,
    "upper_power_restore": pl.Float64,
    "lower_power_off": pl.Float64,
    "lower_power_restore": pl.Float64,
    "on_text": pl.String,
    "off_text": pl.String,
    "location": pl.String,
    "x": pl.Float64,
    "y": pl.Float64,
    "z": pl.Float64,
    "relations": pl.String,  # raw text of field 22, e.g. "D-<point code>" or groups joined by ◇
    "defined_at": TIME,
    "header_time": TIME,
}

# CDSS: real-time values (7 fields). The engine's main input. The sensor name, location and unit that
# every record repeats are the point's definition (CDDY, kept with the point); they are not kept here.
READINGS: Schema = {
    "file_id": pl.UInt32,
    "mine_code": pl.String,
    "point_code": pl.String,
    "value": pl.Float64,
    "status": pl.Int32,  # bitmask: 1 alarm, 2 power-off, 4 calibration, 8 over-range, 16 outstation fault,
    #                      32 not polled, 64 paused, 128 sensor fault
    "data_time": TIME,
    "header_time": TIME,
}

# FZDY: outstation definitions.
OUTSTATIONS: Schema = {
    "file_id": pl.UInt32,
    "mine_code": pl.String,
    "outstation_code": pl.String,
    "location": pl.String,
    "x": pl.Float64,
    "y": pl.Float64,
    "z": pl.Float64,
    "data_time": TIME,
    "header_time": TIME,
}

# FZSS: outstation status (4 fields).
OUTSTATION_STATUS: Schema = {
    "file_id": pl.UInt32,
    "mine_code": pl.String,
    "outstation_code": pl.String,
    "running_status": pl.Int16,  # 0 ok, 1 communication lost, 2 fault, 9 unknown
    "power_status": pl.Int16,  # raw code (producers disagree on its meaning)
    "data_time": TIME,
    "header_time": TIME,
}

# TJSJ: statistics, typically per 5 minutes (12 fields).
STATISTICS: Schema = {
    "file_id": pl.UInt32,
    "mine_code": pl.String,
    "point_code": pl.String,
    "sensor_name": pl.String,
    "location": pl.String,
    "unit": pl.String,
    "start": TIME,
    "end": TIME,
    "max": pl.Float64,
    "max_time": TIME,
    "min": pl.Float64,
    "min_time": TIME,
    "avg": pl.Float64,
    "data_time": TIME,
    "header_time": TIME,
}

# YCBJ: abnormal events reported by the mine's own system (17 fields).
EVENTS: Schema = {
    "file_id": pl.UInt32,
    "mine_code": pl.String,
    "point_code": pl.String,
    "sensor_name": pl.String,
    "location": pl.String,
    "unit": pl.String,
    "event_type": pl.String,  # three digits: 001 over-limit, 002 power-off, 003 feed failure, ...
    "start": TIME,
    "end": TIME,  # null while the event is open; re-sent later with its end
    "max": pl.Float64,
    "max_time": TIME,
    "min": pl.Float64,
    "min_time": TIME,
    "avg": pl.Float64,
    "cause": pl.String,
    "measures": pl.String,
    "entered_at": TIME,
    "entered_by": pl.String,
    "data_time": TIME,
    "header_time": TIME,
}

# Quarantined records and files: nothing that came in is lost.
REJECTS: Schema = {
    "file_id": pl.UInt32,
    "name": pl.String,  # the file's name
    "mine_code": pl.String,
    "file_type": pl.String,
    "record_no": pl.UInt32,  # 1-based record segment; null when the whole file is quarantined
    "reason": pl.String,  # in Chinese, e.g. "数值无法识别：abc"
    "raw": pl.String,  # the record's text (or the file's first 200 characters)
}

# What the rules produce: one row per alarm episode touched by a batch (see engine.alarms).
EPISODES: Schema = {
    "mine_code": pl.String,
    "point_code": pl.String,  # null for mine-level kinds
    "kind": pl.String,
    "start": TIME,
    "end": TIME,  # null while open
    "peak": pl.Float64,  # extreme value in the alarm's direction; null where there is none
    "evidence": pl.String,  # JSON: thresholds, values and times that justify the alarm
    "void": pl.Boolean,  # later input disproved the episode: its alarm is withdrawn (mine_silent)
}


def empty(schema: dict[str, pl.DataType | type[pl.DataType]]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)
