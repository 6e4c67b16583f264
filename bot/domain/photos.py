"""What a photo may be: the limits the citizen is told and every channel applies alike (bot/services/photos.py)."""

from __future__ import annotations

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_MB = MAX_PHOTO_BYTES // (1024 * 1024)
#: Photos one sighting keeps; after each, the citizen may send another or go on, until this many.
MAX_PHOTOS = 3
