"""`python -m tap_webinars.sandbox` runs the sandbox server."""

from tap_webinars.sandbox.server import main

main()
