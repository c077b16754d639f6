"""The emails Django's file backend wrote to a folder, for tests that check what was sent.

The backend does not write one file per email: it names a file after the current second
and `id()` of the backend object, and appends to it. The messages of one connection share
a file, and so do two sends in one second whose backends CPython placed at the same
address (a freed object's memory is reused at once). Each message is followed by a line
of 79 dashes, so a file is read as the list of messages it holds, never as one message.
"""

import email
from email.message import Message
from pathlib import Path

# What the file backend's `write_message` puts after each message.
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def read_mailbox(folder: Path) -> list[Message]:
    """Every message written under `folder`, file by file in name order (none while the
    folder does not exist: nothing was sent yet)."""
    if not folder.is_dir():
        return []
    return [
        email.message_from_bytes(text)
        for path in sorted(folder.iterdir())
        for text in path.read_bytes().split(SEPARATOR)
        if text.strip()
    ]
