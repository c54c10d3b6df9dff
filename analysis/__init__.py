"""Scoring, reliability, SEM, regression and reporting for alliance-survey."""

__version__ = "0.1.0"
