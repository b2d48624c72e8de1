"""The PySide6 face of CSDesk: windows, views, item models, dialogs, charts.

Runs no SQL of its own: everything goes through ``csdesk`` services.
"""
