"""Structural equation modelling with lavaan parity, built on semopy."""
