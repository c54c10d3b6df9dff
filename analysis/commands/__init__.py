"""Sub-commands of the ``alliance-survey`` command line.

Each module here defines ``register(subparsers)`` which adds one sub-command
whose handler is stored as ``func`` in the parser defaults.  Handlers import
their heavy dependencies lazily so that ``alliance-survey --help`` is fast.
"""

# Module names, in the order they appear in ``--help``.  A module listed here
# that does not exist yet is skipped, so sub-commands can be added one by one.
COMMANDS = [
    "demo",
    "codebook",
    "simulate",
    "score",
    "sem",
    "compare",
    "reliability",
    "analyze",
    "report",
    "invite",
    "export",
    "delete",
    "privacy",
    "power",
    "pls",
    "mail",
    "respondent",
    "password",
    "export_script",
    "prereg",
    "wave",
    "health",
]
