-- MetricFlow's day-grain time spine (declared with the YAML `time_spine:` config beside it).
select cast(d as date) as date_day
from generate_series(date '2000-01-01', date '2045-12-31', interval 1 day) as t(d)
