"""The secret that signs tokens: the configured one, or one generated once per data folder.

Kept out of the settings (which only say what was configured): reading and writing the key file
is I/O, done once by the app factory or a command that needs the key.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from ..settings.security import SecuritySettings

#: the generated key's file inside the data folder (mode 0600)
KEY_FILE = "secret.key"
#: bytes of randomness of a generated key (URL-safe base64: 64 characters)
GENERATED_BYTES = 48


def secret_key(security: SecuritySettings, data_dir: Path) -> str:
    """The configured secret, or the one kept in ``data_dir`` (generated on first use)."""
    if security.secret_key:
        return security.secret_key
    path = data_dir / KEY_FILE
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(GENERATED_BYTES)
    path.write_text(key)
    path.chmod(0o600)
    return key
