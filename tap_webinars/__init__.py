"""tap-webinars: webinar and virtual-event data from four platforms in one unified schema."""

__version__ = "0.1.0"
