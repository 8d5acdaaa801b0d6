-- MetricFlow's day-grain time spine (declared with the YAML `time_spine:` config beside it).
{{ day_series('2000-01-01', '2045-12-31', 'date_day') }}
