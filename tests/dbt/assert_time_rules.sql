-- Rules T1–T4 on hand-computed values. 2024-11-18 16:00:00 UTC is 2024-11-19 00:00:00 in Beijing
-- (UTC+8) and 2024-11-18 11:00:00 in New York (EST, UTC-5). Returns the cases that do not hold.
with cases (case_name, actual, expected) as (
    select 'epoch s', {{ to_utc("'1731945600'", 'epoch_s') }}, timestamptz '2024-11-18 16:00:00+00'
    union all select 'epoch ms', {{ to_utc("'1731945600123'", 'epoch_ms') }}, timestamptz '2024-11-18 16:00:00.123+00'
    union all select 'naive Beijing string', {{ to_utc("'2024-11-19 00:00:00'", 'local', 'Asia/Shanghai') }}, timestamptz '2024-11-18 16:00:00+00'
    union all select 'naive New York string', {{ to_utc("'2024-11-18 11:00:00'", 'local', 'America/New_York') }}, timestamptz '2024-11-18 16:00:00+00'
    union all select 'ISO with +08:00', {{ to_utc("'2024-11-19T00:00:00+08:00'", 'iso') }}, timestamptz '2024-11-18 16:00:00+00'
    union all select 'ISO with Z', {{ to_utc("'2024-11-18T16:00:00Z'", 'iso') }}, timestamptz '2024-11-18 16:00:00+00'
    union all select 'ISO without offset is never guessed', {{ to_utc("'2024-11-18T16:00:00'", 'iso') }}, null
    union all select 'zone abbreviation is never parsed', {{ to_utc("'2024-11-18 16:00:00 CST'", 'local') }}, null
    union all select 'sentinel 0', {{ to_utc("'0'", 'epoch_s') }}, null
    union all select 'sentinel 0000-00-00', {{ to_utc("'0000-00-00 00:00:00'", 'local') }}, null
    union all select 'sentinel 1970-01-01 08:00:00', {{ to_utc("'1970-01-01 08:00:00'", 'local') }}, null
    union all select 'sentinel empty', {{ to_utc("''", 'local') }}, null
    union all select 'sentinel epoch in UTC, ISO', {{ to_utc("'1970-01-01T00:00:00Z'", 'iso') }}, null
    union all select 'sentinel epoch in New York, ISO', {{ to_utc("'1969-12-31T19:00:00-05:00'", 'iso') }}, null
    union all select 'sentinel epoch day in Beijing, slashes', {{ to_utc("'1970/01/01 08:00:00'", 'local', 'Asia/Shanghai', '%Y/%m/%d %H:%M:%S') }}, null
    union all select 'sentinel epoch + 1 day in seconds', {{ to_utc("'86400'", 'epoch_s') }}, null
    union all select 'sentinel epoch ms', {{ to_utc("'0'", 'epoch_ms') }}, null
    union all select 'the floor itself is a sentinel', {{ to_utc("'172800'", 'epoch_s') }}, null
    union all select 'one second after the floor', {{ to_utc("'172801'", 'epoch_s') }}, timestamptz '1970-01-03 00:00:01+00'
    union all select 'T4 date + time', {{ local_date_and_time_to_utc("'2024-11-20'", "'14:00:00'") }}, timestamptz '2024-11-20 06:00:00+00'
    union all select 'T4 date only = end of local day', {{ local_date_and_time_to_utc("'2024-11-20'", "null") }}, timestamptz '2024-11-20 15:59:59+00'
)
select case_name, actual::varchar as actual, expected::varchar as expected from cases
where actual is distinct from expected

union all

select case_name, actual::varchar, expected::varchar
from (
    select 'business date of 16:00 UTC in Beijing' as case_name,
           {{ local_date("timestamptz '2024-11-18 16:00:00+00'", "'Asia/Shanghai'") }} as actual, date '2024-11-19' as expected
    union all select 'shop date of 16:00 UTC in New York',
           {{ local_date("timestamptz '2024-11-18 16:00:00+00'", "'America/New_York'") }}, date '2024-11-18'
) as dates
where actual is distinct from expected

union all

select 'sentinel is not invalid', 'flagged', 'not flagged'
where {{ time_is_invalid("'0'", 'epoch_s') }}

union all

select 'ISO epoch is a sentinel, not invalid', 'flagged', 'not flagged'
where {{ time_is_invalid("'1970-01-01T00:00:00Z'", 'iso') }}

union all

select 'all-zero slashes are a sentinel, not invalid', 'flagged', 'not flagged'
where {{ time_is_invalid("'0000/00/00 00:00:00'", 'local') }}

union all

select 'garbage is invalid', 'not flagged', 'flagged'
where not {{ time_is_invalid("'yesterday'", 'epoch_s') }}
