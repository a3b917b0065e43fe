"""Alerting: sensors that notice failed runs, failed blocking checks and stale assets, and the
notifier that sends each alert to a local JSON-lines file, Slack and SNS.

Nothing here reads the environment or creates a client at import time.
"""
