"""Item attributes typed for Silver exactly: a value converts exactly, or its item is quarantined.

Text attributes are read from the plain `item_json` (Spark's JSON reader gives any JSON value as
its text). Numbers are not: Spark renders a JSON number read as text through a double
(`12.3456789012345678901` → `12.345678901234567`), and a DecimalType read rounds (`1E-36` → 0) or
nulls (a 38-digit number, `1E+130`) without a word. So numeric attributes are read from the typed
`item_dynamodb_json`, where an `N` is a JSON *string* holding the exact literal, and are converted
only when the target type holds the value exactly (`decimal_fits` decides on the literal's digits,
natively in Spark). A value that does not convert is reported (`<attribute>_wrong_type`,
`<attribute>_not_representable`), never rounded and never a silent NULL.

Bronze rows written before `item_dynamodb_json` existed fall back to the `item_json` text.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

# Silver's estimate type. DynamoDB numbers have up to 38 significant digits at any exponent, so no
# fixed decimal holds them all; this scale keeps the contract's own data exact (its planted
# `12.3456789012345678901` has 19 fractional digits) with 18 integral digits to spare. Anything
# else is quarantined as `estimate_hours_not_representable`.
ESTIMATE_TYPE = T.DecimalType(38, 20)
INT_MAX = 2**31 - 1

TEXT_ATTRIBUTES = (
    "title",
    "status",
    "created_at",
    "updated_at",
    "due_date",
    "completed_at",
    "tags",
    "checklist",
    "email",
    "display_name",
    "plan",
)
NUMERIC_ATTRIBUTES = ("priority", "estimate_hours")
# Spaces only around the literal: what trim() removes. It ends at `\z`, the end of the text: Java's
# `$` also stops before a final line terminator, and "12\u2028" then passed as a literal that no
# cast takes (under ANSI the whole job failed instead of quarantining the item).
_NUMBER = r"^ *[+-]?([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))? *\z"
# `_NUMBER`'s groups in one regex pass: a literal becomes `<int digits>,<fraction digits>,<exponent>`,
# any other text `,,` (the second branch, `(?s)` so it takes line terminators too); the first branch
# is `_NUMBER` itself, so it matches the same texts with the same groups.
_PARTS = r"(?s)^(?:" + _NUMBER[1:] + r"|.*)"


def with_attributes(items: DataFrame) -> DataFrame:
    """`items` plus `_attrs` (every attribute as text) and `_typed` (numeric attributes, typed)."""
    text = T.StructType([T.StructField(n, T.StringType()) for n in (*TEXT_ATTRIBUTES, *NUMERIC_ATTRIBUTES)])
    typed = T.StructType([T.StructField(n, T.MapType(T.StringType(), T.StringType())) for n in NUMERIC_ATTRIBUTES])
    source = F.col("item_dynamodb_json") if "item_dynamodb_json" in items.columns else F.lit(None).cast("string")
    return items.withColumn("_attrs", F.from_json("item_json", text)).withColumn("_typed", F.from_json(source, typed))


def attr(name: str) -> Column:
    """An attribute as text; null when absent or of type NULL."""
    return F.col("_attrs")[name]


def number_text(name: str) -> Column:
    """The exact literal of a numeric attribute (`N`, or a number stored as `S`), else null."""
    typed = F.col("_typed")[name]
    return F.coalesce(typed["N"], typed["S"], F.when(typed.isNull(), attr(name)))


def number_parts(text: Column) -> Column:
    """`text` split by `_NUMBER` in one regex pass: `<int>,<fraction>,<exponent>` (`-012.50E+3` →
    `012,50,+3`), `,,` when it is no decimal literal, null when null.

    Why: the typing below needs the three groups several times; `regexp_extract` runs the regex
    once per group and use, this once. Materialise it as a column (`with_numbers`) so Spark
    computes it once per row (a non-cheap expression used more than once is not inlined).
    """
    return F.regexp_replace(text, _PARTS, "$1,$2,$3")


def number_column(name: str) -> str:
    """Name of the materialised `number_parts` column of a numeric attribute (`with_numbers`)."""
    return f"_number_{name}"


def with_numbers(items: DataFrame) -> DataFrame:
    """`items` (with `_attrs`/`_typed`) plus `number_parts` of each numeric attribute's literal."""
    return items.withColumns({number_column(n): number_parts(number_text(n)) for n in NUMERIC_ATTRIBUTES})


def is_number(parts: Column) -> Column:
    """True when the literal of `parts` (`number_parts`) is a decimal literal (`12.50`, `-3`, `1E-36`,
    `.5`, `+7`): it matched `_NUMBER` with at least one mantissa digit."""
    return F.coalesce(~parts.startswith(",,"), F.lit(False))


def decimal_fits(parts: Column, precision: int, scale: int) -> Column:
    """True when the literal of `parts` (`number_parts`) is exactly a DECIMAL(precision, scale) value.

    Decided on the literal: its significant digits and where the point falls after the exponent,
    so it holds for any exponent (`1E-36` needs 36 fractional digits, `1E+130` 131 integral ones).
    String functions only (no regex): the digits are known to be `[0-9]*`, the exponent `[+-]?[0-9]*`.
    """
    whole = F.substring_index(parts, ",", 1)
    digits = F.concat(whole, F.substring_index(F.substring_index(parts, ",", 2), ",", -1))
    exp_text = F.substring_index(parts, ",", -1)
    signed = F.substring(exp_text, 1, 1).isin("+", "-")
    exp_digits = F.length(exp_text) - F.when(signed, F.lit(1)).otherwise(F.lit(0))
    exponent = F.when(exp_text == "", F.lit(0)).when(exp_digits <= 9, exp_text.cast("int"))
    unpadded = F.ltrim(F.translate(digits, "0", " "))  # digits hold no spaces: zeros as spaces, to trim
    leading_zeros = F.length(digits) - F.length(unpadded)
    point = F.length(whole) + exponent - leading_zeros
    significant = F.length(F.rtrim(unpadded))
    integral = F.greatest(point, F.lit(0))
    fractional = F.greatest(significant - point, F.lit(0))
    fits = (significant == 0) | ((integral <= precision - scale) & (fractional <= scale))
    return is_number(parts) & F.coalesce(exponent.isNotNull() & fits, F.lit(False))


def exact_decimal(text: Column, parts: Column, dtype: T.DecimalType) -> Column:
    """The number `text` (split as `parts`) as `dtype` when it fits exactly (so the cast cannot
    round), else null."""
    return F.when(decimal_fits(parts, dtype.precision, dtype.scale), F.trim(text).cast(dtype))


def exact_int(text: Column, parts: Column) -> Column:
    """An integral number (`3`, `3.0`, `"5"`) as INT, else null (`3.5`, `"high"`, 2^31)."""
    whole = F.trim(text).cast(T.DecimalType(10, 0))  # evaluated only where it fits: never rounds
    return F.when(decimal_fits(parts, 10, 0), F.when(F.abs(whole) <= INT_MAX, whole.cast("int")))


def try_cast(name: str, *types: str) -> Column:
    """`try_cast` of a text attribute through `types` in turn: NULL when the text does not convert.

    SQL `try_cast` (Spark ≥ 3.2) rather than `Column.try_cast` (PySpark ≥ 4.0 only), so the job
    runs on Glue 5.0's Spark 3.5; and never a plain `cast`, whose failures depend on ANSI mode
    (NULL on 3.5 by default, an error on 4.x), so a bad value types the same on both.
    """
    sql = f"_attrs.`{name}`"
    for type_ in types:
        sql = f"try_cast({sql} AS {type_})"
    return F.expr(sql)


def timestamp(name: str) -> Column:
    return try_cast(name, "TIMESTAMP")
