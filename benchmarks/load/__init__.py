"""Load client, stack control and scenarios for the autosave and start endpoints."""
