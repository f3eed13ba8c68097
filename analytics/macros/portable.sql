{#- Portable SQL helpers: each either uses dbt's cross-database macros or dispatches per
    adapter, so the models run unchanged on Postgres, DuckDB, Snowflake and BigQuery. -#}

{#- Text as sent, trimmed; empty becomes null. -#}
{% macro clean_text(column) -%}
    nullif(trim(cast({{ column }} as {{ dbt.type_string() }})), '')
{%- endmacro %}

{#- An email normalised for matching people: lower(trim()), empty becomes null. -#}
{% macro clean_email(column) -%}
    lower({{ tap_webinars_analytics.clean_text(column) }})
{%- endmacro %}

{#- A key column as text (never trimmed: keys are matched exactly). -#}
{% macro key_text(column) -%}
    cast({{ column }} as {{ dbt.type_string() }})
{%- endmacro %}

{#- An instant. The tap writes UTC ISO 8601; target-postgres stores timestamptz (with
    scripts/pg_tables.py), PyAirbyte's DuckDB a timestamp with time zone or text. -#}
{% macro to_instant(column) -%}
    {{ return(adapter.dispatch('to_instant', 'tap_webinars_analytics')(column)) }}
{%- endmacro %}

{% macro default__to_instant(column) -%}
    cast({{ column }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro postgres__to_instant(column) -%}
    cast({{ column }} as timestamp with time zone)
{%- endmacro %}

{#- DuckDB: PyAirbyte stores naive UTC timestamps; the tap's text is UTC ISO 8601 too. Read
    both as UTC, whatever the session's TimeZone. -#}
{% macro duckdb__to_instant(column) -%}
    timezone('UTC', cast({{ column }} as timestamp))
{%- endmacro %}

{% macro snowflake__to_instant(column) -%}
    to_timestamp_tz({{ column }})
{%- endmacro %}

{% macro bigquery__to_instant(column) -%}
    cast({{ column }} as timestamp)
{%- endmacro %}

{#- The median of a numeric expression, as an aggregate. BigQuery has no exact median
    aggregate: approx_quantiles is used there (documented). -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'tap_webinars_analytics')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__median(expression) -%}
    quantile_cont({{ expression }}, 0.5)
{%- endmacro %}

{% macro snowflake__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro bigquery__median(expression) -%}
    approx_quantiles({{ expression }}, 100)[offset(50)]
{%- endmacro %}

{#- a / b as a float; null when b is 0 or null. -#}
{% macro ratio(numerator, denominator) -%}
    cast({{ numerator }} as {{ tap_webinars_analytics.type_double() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}

{#- 1 when the condition holds, else 0 (to sum). -#}
{% macro flag(condition) -%}
    case when {{ condition }} then 1 else 0 end
{%- endmacro %}

{#- A double-precision float. dbt's type_float() is single precision (`float`) on DuckDB. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'tap_webinars_analytics')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    {{ dbt.type_float() }}
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}
