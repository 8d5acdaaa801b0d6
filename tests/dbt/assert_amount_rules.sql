-- Rule A1 on hand-computed values: integer fen and yuan strings convert exactly, never via float.
-- Returns the cases whose result differs from the expected value (none when the rule holds).
with cases (case_name, actual, expected) as (
    select 'fen 1999999999999 (a float would be off)', {{ minor_units_to_amount("'1999999999999'") }}, 19999999999.99::decimal(18,2)
    union all select 'fen 1', {{ minor_units_to_amount("'1'") }}, 0.01
    union all select 'fen -250 (a reversal)', {{ minor_units_to_amount("'-250'") }}, -2.50
    union all select 'fen 12.5 is not a fen amount', {{ minor_units_to_amount("'12.5'") }}, null
    union all select 'fen abc is not a number', {{ minor_units_to_amount("'abc'") }}, null
    union all select 'yuan 0.10 × 3 (0.30000000000000004 as float)', {{ major_units_to_amount("'0.10'") }} * 3, 0.30
    union all select 'yuan 12.3', {{ major_units_to_amount("'12.3'") }}, 12.30
    union all select 'yuan 1.005 has too many decimals', {{ major_units_to_amount("'1.005'") }}, null
    union all select 'yuan 1,000.00 is not a plain decimal', {{ major_units_to_amount("'1,000.00'") }}, null
)
select * from cases
where actual is distinct from expected
   or (actual is not null and typeof(actual) not like 'DECIMAL%')
