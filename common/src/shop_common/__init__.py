"""Code every shop service shares; nothing service-specific lives here."""
