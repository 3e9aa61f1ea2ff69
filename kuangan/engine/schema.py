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
    "family": pl.String,  # "A" national format; "kuangan" our own CSV; else the recognised name of another family
    # CDDY, CDSS, FZDY, FZSS, TJSJ, YCBJ; RYXX, RYQY, RYJZ, RYSS, JZSS, RYCS, RYCY, RYQJ, RYXZ; YDSJ, DZFT
    # (kuangan CSV); or the type of an unsupported family
    "file_type": pl.String,
    "header_time": TIME,  # the header's upload time (a CSV file's: its name's): what "newest" means
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

# --- Personnel positioning (FORMATS.md "Personnel-positioning files"). Card codes are 17 characters
# (mine code + 5), area codes 16 (mine code + 4), base stations 22 (area code + 6).

# RYXX: the people on the mine's roster (9 fields). The mine's own leader / special-operator flags are
# kept as evidence only: who is a leader is the roster's card code (LeadershipMember.card_code).
PEOPLE: Schema = {
    "file_id": pl.UInt32,
    "mine_code": pl.String,
    "card_code": pl.String,
    "name": pl.String,
    "trade": pl.String,  # `未设置` reads as null
    "post": pl.String,
    "team": pl.String,
    "birth_month": pl.String,  # as written (e.g. 1985-03)
    "education": pl.String,
    "leader_flag": pl.Boolean,  # the mine's claim (0/1); null when unreadable
    "special_flag": pl.Boolean,
    "header_time": TIME,
}

# RYQY: positioning areas (4 fields).
AREAS: Schema = {
    "file_id": pl.UInt32,
    "mine_code": pl.String,
    "area_type": pl.String,  # 井口区域 | 重点区域 | 限制区域 | 其它区域 (others kept as written)
    "area_code": pl.String,
    "headcount": pl.Int32,  # the approved headcount of the area; null when empty
    "area_name": pl.String,
    "header_time": TIME,
}

# RYJZ: base stations (6 fields).
STATIONS: Schema = {
    "file_id": pl.UInt32,
    "mine_code": pl.String,
    "station_code": pl.String,
    "name": pl.String,
    "x": pl.Float64,
    "y": pl.Float64,
    "z": pl.Float64,
    "note": pl.String,
    "header_time": TIME,
}

# RYSS: one row per person in a snapshot (15 fields). A snapshot is the full set of people underground
# at its header time; people absent from it are not underground.
POSITIONS: Schema = {
    "file_id": pl.UInt32,
    "mine_code": pl.String,
    "card_code": pl.String,
    "name": pl.String,
    "flag": pl.Int8,  # 0 at the shaft top, 1 underground, 2 came up
    "time_down": TIME,
    "time_up": TIME,  # flag 2 only
    "area_code": pl.String,
    "area_entered": TIME,
    "station_code": pl.String,
    "station_reached": TIME,
    "shift_system": pl.String,  # e.g. 三八制
    "distance": pl.Float64,  # metres to the station, signed
    "state": pl.String,  # 正常 | 求救 (SOS)
    "leader_flag": pl.Boolean,  # the mine's claim, evidence only
    "special_flag": pl.Boolean,
    "track": pl.String,  # raw: <station>&<time> items joined by ','
    "header_time": TIME,  # the snapshot's time
}

# One row per accepted RYSS file, an empty snapshot (`HDR~||`: nobody underground) too: the times at
# which a mine's set of people underground is known. Personnel rules pause over gaps between them.
SNAPSHOTS: Schema = {
    "file_id": pl.UInt32,
    "mine_code": pl.String,
    "header_time": TIME,
    "people": pl.UInt32,  # accepted position rows of the snapshot
}

# JZSS: base-station status, every minute (4 fields).
STATION_STATUS: Schema = {
    "file_id": pl.UInt32,
    "mine_code": pl.String,
    "station_code": pl.String,
    "running_status": pl.Int16,  # 0 ok, 1 communication lost, 2 fault, 9 unknown
    "power_status": pl.Int16,  # 0 DC, 1 AC, 2 fault, 9 unknown
    "data_time": TIME,
    "header_time": TIME,
}

# RYCS overtime, RYCY overcrowding, RYQJ SOS, RYXZ restricted area: the mine's own personnel alarms.
# Their field order is a guess (FORMATS.md): the codes and times found where the guess puts them, and
# the raw record, are kept; only the field count is checked.
PERSONNEL_EVENTS: Schema = {
    "file_id": pl.UInt32,
    "mine_code": pl.String,
    "event_type": pl.String,  # RYCS | RYCY | RYQJ | RYXZ
    "card_code": pl.String,  # null for RYCY
    "area_code": pl.String,
    "start": TIME,  # null when the guessed field does not read as a time
    "end": TIME,  # null while open (re-sent with its end)
    "raw": pl.String,
    "header_time": TIME,
}

# kuangan's own CSV (docs/formats-kuangan.md). YDSJ: power use of a meter over an interval.
POWER: Schema = {
    "file_id": pl.UInt32,
    "mine_code": pl.String,
    "meter_code": pl.String,  # begins with the mine code
    "start": TIME,
    "end": TIME,
    "kwh": pl.Float64,
    "header_time": TIME,
}

# DZFT: what a seal's (密闭) camera or sensor saw.
SEALS: Schema = {
    "file_id": pl.UInt32,
    "mine_code": pl.String,
    "seal_code": pl.String,  # begins with the mine code
    "place": pl.String,
    "event": pl.String,  # as written, e.g. 人员靠近
    "data_time": TIME,
    "people": pl.Int32,
    "vehicles": pl.Int32,
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
