"""The PySide6 face of CSDesk: windows, views, item models, dialogs, charts.

Runs no SQL of its own: everything goes through ``csdesk`` services.

The core modules the window needs at start-up are imported here, before any Qt
module: PySide6 reads the source of every module imported after it (for its
``__feature__`` switches), which cost ~70 ms of start-up for numpy alone.
"""

import csdesk.book  # noqa: F401
import csdesk.formatting  # noqa: F401
import csdesk.progress  # noqa: F401
import db  # noqa: F401
