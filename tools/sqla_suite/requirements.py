"""What PostgreSQL can do, for SQLAlchemy's dialect compliance suite.

SQLAlchemy's ``SuiteRequirements`` leaves most features closed; a dialect's
requirements class opens what its database supports. The same class serves
every driver the suite is run with (pgwire, and psycopg for comparison), so
the pass counts compare like with like.
"""

from sqlalchemy.testing import exclusions
from sqlalchemy.testing.requirements import SuiteRequirements


def _server_major(config):
    return config.db.dialect.server_version_info[0]


def _since(major):
    """Open from PostgreSQL ``major`` on."""
    return exclusions.only_if(
        lambda config: _server_major(config) >= major, f"PostgreSQL {major} or later"
    )


def _before(major):
    return exclusions.only_if(
        lambda config: _server_major(config) < major, f"PostgreSQL before {major}"
    )


def _max_prepared_transactions(config):
    with config.db.connect() as conn:
        return int(conn.exec_driver_sql("SHOW max_prepared_transactions").scalar())


_open = exclusions.open
_closed = exclusions.closed


class Requirements(SuiteRequirements):
    """PostgreSQL's features, by SuiteRequirements' names."""

    # DDL and schemas
    create_table_as = property(lambda self: _open())
    create_temp_table_as = property(lambda self: _open())
    table_ddl_if_exists = property(lambda self: _open())
    index_ddl_if_exists = property(lambda self: _open())
    schema_create_delete = property(lambda self: _open())
    unicode_ddl = property(lambda self: _open())
    percent_schema_names = property(lambda self: _open())
    implicit_default_schema = property(lambda self: _open())
    default_schema_name_switch = property(lambda self: _open())
    views = property(lambda self: _open())
    temporary_views = property(lambda self: _open())
    create_or_replace_view = property(lambda self: _open())
    materialized_views = property(lambda self: _open())
    deferrable_fks = property(lambda self: _open())
    repeated_column_foreign_keys = property(lambda self: _open())
    identity_columns = property(lambda self: _open())
    identity_columns_standard = property(lambda self: _open())

    @property
    def computed_columns(self):
        """Generated columns; before PostgreSQL 18 they are STORED, with a warning."""
        return exclusions.warns_if(
            lambda config: _server_major(config) < 18,
            r".*PostgreSQL version does not support VIRTUAL",
            assert_=False,
        )

    computed_columns_stored = property(lambda self: self.computed_columns)
    computed_columns_virtual = property(lambda self: self.computed_columns + _since(18))
    computed_columns_default_persisted = property(lambda self: self.computed_columns + _before(18))
    computed_columns_reflect_persisted = property(lambda self: self.computed_columns)
    server_defaults = property(lambda self: _open())
    expression_server_defaults = property(lambda self: _open())

    # reflection
    unique_constraints_reflect_as_index = property(lambda self: _open())
    cross_schema_fk_reflection = property(lambda self: _open())
    foreign_key_constraint_name_reflection = property(lambda self: _open())
    reflects_pk_names = property(lambda self: _open())
    reflect_tables_no_columns = property(lambda self: _open())
    comment_reflection = property(lambda self: _open())
    comment_reflection_full_unicode = property(lambda self: _open())
    constraint_comment_reflection = property(lambda self: _open())
    temp_table_comment_reflection = property(lambda self: _open())
    column_collation_reflection = property(lambda self: _open())
    foreign_key_constraint_option_reflection_ondelete = property(lambda self: _open())
    fk_constraint_option_reflection_ondelete_restrict = property(lambda self: _open())
    fk_constraint_option_reflection_ondelete_noaction = property(lambda self: _open())
    foreign_key_constraint_option_reflection_onupdate = property(lambda self: _open())
    fk_constraint_option_reflection_onupdate_restrict = property(lambda self: _open())
    temp_table_names = property(lambda self: _open())
    has_temp_table = property(lambda self: _open())
    index_reflects_included_columns = property(lambda self: _open())
    indexes_check_column_order = property(lambda self: _open())
    indexes_with_expressions = property(lambda self: _open())
    reflect_indexes_with_expressions = property(lambda self: _open())
    inline_check_constraint_reflection = property(lambda self: _open())
    check_constraint_reflection = property(lambda self: _open())
    reflect_table_options = property(lambda self: _open())

    # SQL
    table_value_constructor = property(lambda self: _open())
    boolean_col_expressions = property(lambda self: _open())
    nullsordering = property(lambda self: _open())
    intersect = property(lambda self: _open())
    except_ = property(lambda self: _open())
    window_functions = property(lambda self: _open())
    window_range = property(lambda self: _open())
    window_range_numeric = property(lambda self: _open())
    window_range_non_numeric = property(lambda self: _open())
    ctes = property(lambda self: _open())
    ctes_with_update_delete = property(lambda self: _open())
    ctes_with_values = property(lambda self: _open())
    ctes_on_dml = property(lambda self: _open())
    tuple_in = property(lambda self: _open())
    aggregate_order_by = property(lambda self: _open())
    update_from = property(lambda self: _open())
    delete_from = property(lambda self: _open())
    supports_distinct_on = property(lambda self: _open())
    regexp_match = property(lambda self: _open())
    regexp_replace = property(lambda self: _open())
    fetch_first = property(lambda self: _open())
    fetch_ties = property(lambda self: _since(13))
    fetch_no_order_by = property(lambda self: _open())
    fetch_offset_with_options = property(lambda self: _open())
    fetch_expression = property(lambda self: _open())
    supports_bitwise_or = property(lambda self: _open())
    supports_bitwise_and = property(lambda self: _open())
    supports_bitwise_not = property(lambda self: _open())
    supports_bitwise_xor = property(lambda self: _open())
    supports_bitwise_shift = property(lambda self: _open())
    # PostgreSQL allows only a plain label in ORDER BY, not one in an expression.
    order_by_label_with_expression = property(lambda self: _closed())

    # types
    uuid_data_type = property(lambda self: _open())
    datetime_interval = property(lambda self: _open())
    datetime_literals = property(lambda self: _open())
    datetime_timezone = property(lambda self: _open())
    time_timezone = property(lambda self: _open())
    timestamp_microseconds = property(lambda self: _open())
    datetime_historic = property(lambda self: _open())
    datetime_timezone_historic = property(lambda self: _open())
    date_historic = property(lambda self: _open())
    array_type = property(lambda self: _open())
    json_type = property(lambda self: _open())
    legacy_unconditional_json_extract = property(lambda self: _open())
    precision_numerics_enotation_small = property(lambda self: _open())
    precision_numerics_many_significant_digits = property(lambda self: _open())
    precision_numerics_retains_significant_digits = property(lambda self: _open())
    infinity_floats = property(lambda self: _open())
    float_or_double_precision_behaves_generically = property(lambda self: _open())

    # transactions and connections
    autocommit = property(lambda self: _open())
    skip_autocommit_rollback = property(lambda self: _open())
    isolation_level = property(lambda self: _open())
    savepoints = property(lambda self: _open())

    @property
    def two_phase_transactions(self):
        """Needs max_prepared_transactions > 0 on the server."""
        return exclusions.only_if(
            lambda config: _max_prepared_transactions(config) > 0,
            "max_prepared_transactions is 0",
        )

    @property
    def async_dialect(self):
        """The asyncio dialects."""
        return exclusions.only_if(lambda config: config.db.dialect.is_async, "an asyncio dialect")

    def get_isolation_levels(self, config):
        """What the isolation-level tests set and expect back."""
        return {
            "default": "READ COMMITTED",
            "supported": [
                "AUTOCOMMIT",
                "READ COMMITTED",
                "READ UNCOMMITTED",
                "REPEATABLE READ",
                "SERIALIZABLE",
            ],
        }
