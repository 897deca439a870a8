{#-
    Stages of the youth justice system for children aged 10-17 (Figure 1's custody measure and
    the stages the Relative Rate Index (KPI 8) compares): people, not events, over the known
    10-17 population, per 1,000.
      children_arrested: children with at least one arrest in the period (stg_police__arrests;
        age at the arrest as the police worked it out from the full date of birth).
      children_sentenced_to_custody: children with at least one custodial outcome (seed
        youth_outcome.is_custody) in the period, age at the outcome date.
    Each child counts once a period, in the breakdowns of their first event in it. Plus the
    Figure 1 count custodial_sentences: custodial sentencing occasions (a child's custodial
    outcomes on one day are one sentence), 'all' breakdown only.
-#}
with arrests as (
    select keys.person_key, arrests.arrest_date, arrests.age_at_arrest_date as age_years
    from {{ ref('stg_police__arrests') }} as arrests
    inner join {{ ref('int_agency_records_keyed') }} as keys
        on keys.entity = 'arrest_id' and keys.record_key = arrests.arrest_id
    where arrests.age_at_arrest_date between 10 and 17
),

custody as (
    select distinct keys.person_key, offences.outcome_date,
           {{ age_on('person.birth_year', 'person.birth_month', 'offences.outcome_date') }} as age_years
    from {{ ref('stg_yos__offences') }} as offences
    inner join {{ ref('youth_outcome') }} as outcome on outcome.code = offences.outcome_code
    inner join {{ ref('int_agency_records_keyed') }} as keys on keys.entity = 'yot_id' and keys.record_key = offences.yot_id
    inner join {{ ref('dim_person') }} as person on person.person_key = keys.person_key
    where outcome.is_custody
      and {{ age_on('person.birth_year', 'person.birth_month', 'offences.outcome_date') }} between 10 and 17
),

arrested as (
    {{ kpi_people_rollup('arrests', 'arrest_date', 'count(*) as numerator') }}
),

sentenced as (
    {{ kpi_people_rollup('custody', 'outcome_date', 'count(*) as numerator') }}
),

sentences as (
    {{ kpi_rollup('custody', 'outcome_date', 'count(*) as numerator', by_person=false) }}
),

population as (
    {{ kpi_population(10, 17) }}
),

sentences_filled as (  -- sentences, not people: 'all' only
    {{ kpi_fill('sentences', ['numerator']) }}
)

{%- for measure, counted in [('children_arrested', 'arrested'), ('children_sentenced_to_custody', 'sentenced')] %}
select {{ kpi_columns('KPI08', measure, 'rate_per_1000') }}
from ({{ kpi_population_rate(counted, 'population', 1000) }})
union all
{%- endfor %}
select {{ kpi_columns('FIG1', 'custodial_sentences', 'count') }}
from (select *, null as denominator, numerator as value from sentences_filled)
