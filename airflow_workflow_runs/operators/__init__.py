"""Operators that start a remote run and wait for it: one module per service."""
