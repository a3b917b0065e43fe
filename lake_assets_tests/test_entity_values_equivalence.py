"""The one-pass number typing of `entity_values` (issue #12) equals the regex formula it replaced.

`OLD_*` below is the previous implementation, verbatim: several `regexp_extract`/`regexp_replace`/
`rlike` per literal. The new one splits a literal once (`number_parts`) and decides with string
functions. Both run side by side in Spark over hand-picked edge cases and generated literals (valid,
nearly valid and arbitrary text); every typing result must agree, value for value.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lake_assets.transforms import entity_values as ev

# The old formulas below keep the old pattern but for its end (`\z`, as in `entity_values`): a
# literal with a line terminator after it is no number now, where before the cast failed the job.
_NUMBER = ev._NUMBER


def old_is_number(text: Column) -> Column:
    mantissa = F.concat(F.regexp_extract(text, _NUMBER, 1), F.regexp_extract(text, _NUMBER, 2))
    return F.coalesce(text.rlike(_NUMBER) & mantissa.rlike("[0-9]"), F.lit(False))


def old_decimal_fits(text: Column, precision: int, scale: int) -> Column:
    part = lambda i: F.regexp_extract(text, _NUMBER, i)  # noqa: E731
    exp_text = part(3)
    exp_digits = F.length(F.regexp_replace(exp_text, "[+-]", ""))
    exponent = F.when(exp_text == "", F.lit(0)).when(exp_digits <= 9, exp_text.cast("int"))
    digits = F.concat(part(1), part(2))
    unpadded = F.regexp_replace(digits, "^0+", "")
    point = F.length(part(1)) + exponent - (F.length(digits) - F.length(unpadded))
    significant = F.regexp_replace(unpadded, "0+$", "")
    integral = F.greatest(point, F.lit(0))
    fractional = F.greatest(F.length(significant) - point, F.lit(0))
    fits = (F.length(significant) == 0) | ((integral <= precision - scale) & (fractional <= scale))
    return old_is_number(text) & F.coalesce(exponent.isNotNull() & fits, F.lit(False))


def old_exact_decimal(text: Column, dtype: T.DecimalType) -> Column:
    return F.when(old_decimal_fits(text, dtype.precision, dtype.scale), F.trim(text).cast(dtype))


def old_exact_int(text: Column) -> Column:
    whole = old_exact_decimal(text, T.DecimalType(10, 0))
    return F.when(F.abs(whole) <= ev.INT_MAX, whole.cast("int"))


SHAPES = [(10, 0), (38, 20), (38, 0), (5, 2), (38, 38), (1, 1)]  # (precision, scale) of decimal_fits
EDGES = [
    None,
    "",
    " ",
    ".",
    "1.",
    ".5",
    "+7",
    "-0",
    "-",
    "+",
    "e5",
    ".e1",
    "1e",
    "1E-36",
    "1E+130",
    "1e999999999999",
    "1e999999999",
    "1e-999999999",
    "1e1000000000",
    "0e999999999999",
    "00012.3400",
    "12.3456789012345678901",
    "1" * 38,
    "9" * 38,
    "0." + "0" * 19 + "1",
    "0." + "0" * 20 + "1",
    "9" * 18 + "." + "9" * 20,
    "9" * 19,
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "9999999999",
    "10000000000",
    "3.0",
    "3.5",
    "30E-1",
    "3E1",
    "0.0000",
    "  12  ",
    "\t12",
    "12\n",
    "12\r\n",
    "12\n\n",
    "1 2",
    "1,2",
    ",,",
    "1,,",
    "abc",
    "high",
    "NaN",
    "Infinity",
    "0x10",
    "１２",  # fullwidth digits are not [0-9]
    "+-1",
    "1e+-1",
    "1.2.3",
    "--1",
]


@pytest.fixture(autouse=True)
def compiled(spark):
    """Evaluate as a job does (generated code), not folded on the driver: Spark would otherwise
    compute a projection of a local (`createDataFrame`) relation in the optimizer."""
    key, rule = "spark.sql.optimizer.excludedRules", "org.apache.spark.sql.catalyst.optimizer.ConvertToLocalRelation"
    before = spark.conf.get(key, "")
    spark.conf.set(key, rule)
    yield
    spark.conf.set(key, before) if before else spark.conf.unset(key)


def typed(spark: SparkSession, texts: list[str | None]) -> DataFrame:
    """Every old and new typing result of each text, as columns `<what>_old` / `<what>_new`."""
    df = spark.createDataFrame([(i, t) for i, t in enumerate(texts)], "i INT, t STRING")
    df = df.withColumn("p", ev.number_parts(F.col("t")))  # materialised, as `with_numbers` does
    text, parts = F.col("t"), F.col("p")
    pairs = {
        "is_number": (old_is_number(text), ev.is_number(parts)),
        "int": (old_exact_int(text), ev.exact_int(text, parts)),
        "estimate": (old_exact_decimal(text, ev.ESTIMATE_TYPE), ev.exact_decimal(text, parts, ev.ESTIMATE_TYPE)),
    }
    for p, s in SHAPES:
        pairs[f"fits_{p}_{s}"] = (old_decimal_fits(text, p, s), ev.decimal_fits(parts, p, s))
    columns = [c for name, (old, new) in pairs.items() for c in (old.alias(f"{name}_old"), new.alias(f"{name}_new"))]
    return df.select("i", "t", *columns)


def _condition(exc: Exception) -> str:
    """The error class Spark gives (`CAST_INVALID_INPUT`, …), else the exception type."""
    condition = getattr(exc, "getCondition", None) or getattr(exc, "getErrorClass", None)
    return str(condition() if condition else type(exc).__name__)


def outcomes(df: DataFrame, side: str) -> dict[tuple[int, str], object]:
    """(row, typing) → value for one side's columns; where the batch fails (an ANSI cast error),
    each value is computed alone and a failure becomes `("error", <error class>)`, so an error
    must be the same error on both sides."""
    names = [c for c in df.columns if c.endswith(f"_{side}")]
    try:
        rows = df.select("i", *names).collect()
        return {(r["i"], n[: -len(side) - 1]): r[n] for r in rows for n in names}
    except Exception:  # redone text by text below
        pass
    found: dict[tuple[int, str], object] = {}
    for i in [r["i"] for r in df.select("i").collect()]:
        one = df.where(F.col("i") == i)
        try:
            found.update({(i, n[: -len(side) - 1]): v for n, v in one.select(*names).collect()[0].asDict().items()})
            continue
        except Exception:
            pass
        for n in names:
            try:
                found[(i, n[: -len(side) - 1])] = one.select(n).collect()[0][0]
            except Exception as exc:
                found[(i, n[: -len(side) - 1])] = ("error", _condition(exc))
    return found


def mismatches(spark: SparkSession, texts: list[str | None]) -> list[tuple[str | None, str, object, object]]:
    """(text, typing, old, new) wherever the two formulas differ."""
    df = typed(spark, texts)
    old, new = outcomes(df, "old"), outcomes(df, "new")
    return [
        (texts[i], name, old[(i, name)], new[(i, name)])
        for (i, name) in sorted(old)
        if old[(i, name)] != new[(i, name)]
    ]


def test_edge_cases_type_as_before(spark):
    assert mismatches(spark, EDGES) == []


def test_a_line_terminator_after_a_literal_is_no_number_not_a_failed_job(spark):
    """Java's `$` let `12\u2028` or `12\x85` pass as a literal that no cast takes: under ANSI the
    whole `silver_entities` job failed. Now such a text is no number (its item is quarantined as
    `<attribute>_wrong_type`), and nothing raises."""
    texts = ["12\u2028", "12\x85", "12\u2029", "12\n", "12\r\n", "12\r"]
    new = outcomes(typed(spark, texts), "new")
    for i in range(len(texts)):
        assert new[(i, "is_number")] is False, texts[i]
        assert new[(i, "int")] is None and new[(i, "estimate")] is None, texts[i]


def test_edge_cases_still_type_as_documented(spark):
    """A few anchors, so both formulas cannot be equally wrong without a test noticing."""
    rows = {r["t"]: r for r in typed(spark, ["1E-36", "1E+130", "00012.3400", "+7", "abc", None, "3.0"]).collect()}
    assert rows["00012.3400"]["estimate_new"] == Decimal("12.34")
    assert rows["1E-36"]["is_number_new"] and rows["1E-36"]["estimate_new"] is None
    assert rows["1E+130"]["is_number_new"] and rows["1E+130"]["estimate_new"] is None
    assert (rows["+7"]["int_new"], rows["3.0"]["int_new"]) == (7, 3)
    assert not rows["abc"]["is_number_new"] and not rows[None]["is_number_new"]


DIGITS = st.text(alphabet=st.one_of(st.just("0"), st.sampled_from("0123456789")), max_size=45)  # zeros: the hard part
LITERALS = st.builds(
    lambda lead, sign, whole, dot, frac, e, esign, exp, trail: (
        f"{lead}{sign}{whole}{dot}{frac}{e}{esign}{exp}{trail}" if e else f"{lead}{sign}{whole}{dot}{frac}{trail}"
    ),
    st.sampled_from(["", " ", "  "]),
    st.sampled_from(["", "+", "-"]),
    DIGITS,
    st.sampled_from(["", "."]),
    DIGITS,
    st.sampled_from(["", "e", "E"]),
    st.sampled_from(["", "+", "-"]),
    st.text(alphabet="0123456789", min_size=0, max_size=12),
    st.sampled_from(["", " ", "  ", "\n", "x"]),
)
ANY_TEXT = st.text(alphabet=st.sampled_from(list("0123456789+-.eE ,x\n\t")), max_size=20)
# Big batches: one Spark job checks a whole list, so many literals per example cost little.
TEXTS = st.lists(st.one_of(LITERALS, LITERALS, ANY_TEXT, st.text(max_size=8), st.none()), min_size=200, max_size=400)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=TEXTS)
def test_generated_literals_type_as_before(spark, texts):
    assert mismatches(spark, texts) == []


_RIGHT_FITS, _RIGHT_IS_NUMBER = ev.decimal_fits, ev.is_number
BROKEN = {  # plausible slips, each with literals that must expose it
    "scale_one_short": (
        "decimal_fits",
        lambda parts, p, s: _RIGHT_FITS(parts, p, s - 1) if s else _RIGHT_FITS(parts, p - 1, s),
        ["0." + "0" * 19 + "1", "9999999999"],
    ),
    "exponent_ignored": (
        "decimal_fits",
        lambda parts, p, s: _RIGHT_FITS(F.regexp_replace(parts, ",[^,]*$", ","), p, s),
        ["1E-36", "1E+130", "1E10"],
    ),
    "any_text_is_a_number": ("is_number", lambda parts: F.coalesce(parts.isNotNull(), F.lit(False)), ["abc", "."]),
}


@pytest.mark.parametrize("slip", sorted(BROKEN))
def test_the_comparison_catches_a_slip(spark, slip, monkeypatch):
    """The comparison is not vacuous: a deliberately broken new typing is caught on every one of its
    literals (`exact_int`/`exact_decimal` look the helpers up in the module, so they break too)."""
    name, broken, texts = BROKEN[slip]
    monkeypatch.setattr(ev, name, broken)
    assert {text for text, *_ in mismatches(spark, texts)} == set(texts)
