"""`tap-webinars-sandbox`: a local simulator of the four platforms, one module each."""
