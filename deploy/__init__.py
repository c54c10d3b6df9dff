"""Hosting the survey: nginx site template, launcher and service units (see README)."""
