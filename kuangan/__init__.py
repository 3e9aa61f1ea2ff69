"""kuangan (矿安): mine-safety supervision platform."""
