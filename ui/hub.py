"""The app-wide event hub: views announce changes here instead of calling each other."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Hub(QObject):
    # Data changed; the argument is the affected account ids (empty = many/unknown).
    accountsChanged = Signal(list)
    timelineChanged = Signal(int)  # account id
    tasksChanged = Signal(int)  # account id (0 = several)
    healthChanged = Signal(list)  # account ids (empty = all)
    plansChanged = Signal(int)  # account id
    importFinished = Signal(int, list)  # import run id, the accounts it changed (empty = none)
    databaseChanged = Signal()  # another database was opened: reload everything
    remindersChanged = Signal()  # cadences or reminder rules were edited: run the rules again
    remoteChanged = Signal()  # another CSDesk (a teammate, a command) changed the book: reload what is shown
    userChanged = Signal(str)  # the CSM set their name (csdesk.team)

    # Requests: any view may ask, the main window answers.
    requestAccount = Signal(int)  # open an account's page
    requestEvent = Signal(int, int)  # open an account's page at one timeline event (account id, event id)
    requestPage = Signal(str)  # show a top-level page by key
    requestImport = Signal(str)  # start the import wizard (optional file path)
    requestNewAccount = Signal()
    requestDemo = Signal()  # fill an empty database with the demo book
    requestBookFilter = Signal(object)  # show the book with this BookFilter (a drill-down from a figure)
