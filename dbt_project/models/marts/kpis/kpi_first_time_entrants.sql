{#-
    KPI 5, first-time entrants (FTE) to the youth justice system: children aged 10-17 receiving
    their first youth caution, youth conditional caution or court conviction (a substantive
    outcome, seed youth_outcome), counted in the period of that first outcome; rate per 100,000
    of the 10-17 population. "First" is across every YOS record linked to the child.
-#}
with outcomes as (
    select keys.person_key, offences.outcome_date
    from {{ ref('stg_yos__offences') }} as offences
    inner join {{ ref('youth_outcome') }} as outcome on outcome.code = offences.outcome_code
    inner join {{ ref('int_agency_records_keyed') }} as keys on keys.entity = 'yot_id' and keys.record_key = offences.yot_id
    where outcome.is_substantive and offences.outcome_date is not null
),

entrants as (
    select outcomes.person_key, min(outcomes.outcome_date) as entry_date,
           {{ age_on('any_value(person.birth_year)', 'any_value(person.birth_month)', 'min(outcomes.outcome_date)') }} as age_years
    from outcomes
    inner join {{ ref('dim_person') }} as person on person.person_key = outcomes.person_key
    group by outcomes.person_key
    having age_years between 10 and 17
),

counted as (
    {{ kpi_rollup('entrants', 'entry_date', 'count(*) as numerator') }}
),

population as (
    {{ kpi_population(10, 17) }}
)

select {{ kpi_columns('KPI05', 'first_time_entrants', 'rate_per_100000') }}
from ({{ kpi_population_rate('counted', 'population', 100000) }})
