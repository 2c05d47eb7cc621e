"""The HTTP skin: the versioned API, the staff dashboard and operations endpoints."""
