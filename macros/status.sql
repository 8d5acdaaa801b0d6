{#- Rule S3: `status` is the furthest lifecycle step reached, from the mapped code and the evidence
    (timestamps), except that a cancelled/closed order is `cancelled` and an unmapped code stays
    `unknown` (rule S2) so it is counted, never guessed. -#}
{% macro lifecycle_status(mapped_status, is_cancelled, is_completed, is_delivered, is_shipped, is_paid) -%}
    case
        when {{ mapped_status }} is null then 'unknown'
        when {{ is_cancelled }} then 'cancelled'
        when {{ is_completed }} then 'completed'
        when {{ is_delivered }} then 'delivered'
        when {{ is_shipped }} then 'shipped'
        when {{ is_paid }} then 'paid'
        else 'pending_payment'
    end
{%- endmacro %}
