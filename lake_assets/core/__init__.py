"""Cross-cutting building blocks: settings, lake storage, the Spark session and the compute seam."""
