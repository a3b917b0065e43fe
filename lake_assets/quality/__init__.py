"""Data quality: table contracts (pandera.pyspark models), rules derived from them, and checks.

The models are the single source of a table's schema: Spark reads and writes use
`Model.to_structtype()`, the UI's column schema comes from them, and the generated checks
(schema, not-null, accepted values, ranges, unique key) are derived from their fields.
"""
