"""When things run: declarative automation, retries, the daily schedule and the landing sensors."""
