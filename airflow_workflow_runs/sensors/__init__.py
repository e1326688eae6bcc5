"""Sensors: one module per service, thin classes over the generic sensor."""
