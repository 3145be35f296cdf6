"""Fitting from Spark DataFrames (placeholder while being written)."""


def is_spark_dataframe(obj):
    """True for a ``pyspark.sql.DataFrame`` (False when pyspark is absent)."""
    module = type(obj).__module__
    return module.startswith("pyspark.sql") and type(obj).__name__ == "DataFrame"
