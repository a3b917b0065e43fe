"""Dummy AWS credentials of the tests, in a module free of AWS and Dagster imports so the shared
fixtures (conftest) also load in the Glue-shaped venv."""

# The secret is distinctive so tests can assert it never appears in messages.
SECRET = "dummy-secret-Zq7xK2"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": SECRET,
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
