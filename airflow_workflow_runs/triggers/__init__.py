"""Deferrable triggers; one generic trigger serves every service."""
