"""Where Doorstep's processes log: INFO and above to stderr (journald or the container's log).

What is logged never includes what a resident wrote or where they are: the bot logs update ids
and errors, `doorstep web` one line per request (`bot.web.access_log`) and errors.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging() -> None:
    """INFO to stderr when nothing configured logging yet; httpx's request lines left out."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, format=FORMAT)
    # httpx logs every request URL at INFO; the Bot API's URL carries the bot's token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
