"""The one way we read an AWS error: botocore puts the service's error code in `response["Error"]`."""

from __future__ import annotations


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError (e.g. `NoSuchKey`); None for anything else."""
    response = getattr(exc, "response", None) or {}
    return response.get("Error", {}).get("Code")
