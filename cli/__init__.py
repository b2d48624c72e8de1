"""The command line: a face of CSDesk beside the window (ui/), over the same services (csdesk/).

``cli.main`` is the program's front door; each area's commands are in ``cli/commands/<area>.py``.
"""
