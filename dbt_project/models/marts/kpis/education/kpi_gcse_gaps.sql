{#-
    KPI 3, GCSE gaps: mean Attainment 8 and Progress 8 at key stage 4 by academic year, for the
    borough (breakdown 'all') and every breakdown group, and each group's mean minus the
    borough mean. The strategy's groups: Black Caribbean pupils (breakdown 'ethnicity' = 'BCRB')
    and White British disadvantaged pupils (breakdown 'cohort' = 'white_british_fsm': ethnicity
    WBRI and eligible for free school meals at any time in the six years up to the KS4 census
    day, the DfE's FSM6), with 'disadvantaged' (FSM6, any ethnicity) alongside.
-#}
with ks4 as (  -- scores summed as decimals, exactly: a parallel sum of doubles can differ in its last bit
              -- from run to run and tip a mean shown to 2 decimals (x.xx5 is common) either way
    select keys.person_key,
           {{ academic_year_start('attainment.academic_year') }} as academic_year_start,
           avg(attainment.ks4_attainment8::decimal(18, 6))::decimal(18, 6) as attainment8,
           avg(attainment.ks4_progress8::decimal(18, 6))::decimal(18, 6) as progress8
    from {{ ref('stg_education__attainment') }} as attainment
    inner join {{ ref('int_agency_records_keyed') }} as keys
        on keys.entity = 'pupil_id' and keys.record_key = attainment.pupil_id
    where attainment.key_stage_code = 'KS4'
      and (attainment.ks4_attainment8 is not null or attainment.ks4_progress8 is not null)
    group by all
),

fsm as (  -- FSM6: an FSM period on any of the pupil's enrolments within six years of the KS4 census day
    select ks4.person_key, ks4.academic_year_start
    from ks4
    inner join {{ ref('int_agency_records_keyed') }} as keys on keys.entity = 'pupil_id' and keys.person_key = ks4.person_key
    inner join {{ ref('stg_education__pupils') }} as pupils on pupils.pupil_id = keys.record_key
    where pupils.fsm_start_date <= {{ census_day('ks4.academic_year_start') }}
      and coalesce(pupils.fsm_end_date, {{ census_day('ks4.academic_year_start') }})
          >= {{ census_day('ks4.academic_year_start') }} - interval 6 year
    group by all
),

pupils as (
    select ks4.*,
           fsm.person_key is not null as is_disadvantaged,
           coalesce(person.ethnicity_code = 'WBRI', false) and fsm.person_key is not null as is_white_british_fsm,
           {{ age_on('person.birth_year', 'person.birth_month', census_day('ks4.academic_year_start')) }} as age_years
    from ks4
    left join fsm using (person_key, academic_year_start)
    left join {{ ref('dim_person') }} as person on person.person_key = ks4.person_key
),

{%- set sums = 'count(attainment8) as attainment8_pupils, coalesce(sum(attainment8), 0) as attainment8_sum,
                count(progress8) as progress8_pupils, coalesce(sum(progress8), 0) as progress8_sum' %}

counted as (
    select * from ({{ kpi_rollup('pupils', 'academic_year_start', sums, period_types=('academic_year',)) }})
    union all
    select 'academic_year', academic_year_start, 'cohort', 'disadvantaged', {{ sums }}
    from pupils where is_disadvantaged group by all
    union all
    select 'academic_year', academic_year_start, 'cohort', 'white_british_fsm', {{ sums }}
    from pupils where is_white_british_fsm group by all
),

filled as (
    {{ kpi_fill('counted', ['attainment8_pupils', 'attainment8_sum', 'progress8_pupils', 'progress8_sum'], ('academic_year',)) }}
),

means as (
    select *,
           attainment8_sum / nullif(attainment8_pupils, 0) as attainment8_mean,
           progress8_sum / nullif(progress8_pupils, 0) as progress8_mean
    from filled
),

gaps as (
    select means.*,
           means.attainment8_mean - borough.attainment8_mean as attainment8_gap,
           means.progress8_mean - borough.progress8_mean as progress8_gap
    from means
    inner join means as borough
        on borough.period_type = means.period_type and borough.period_start = means.period_start
        and borough.breakdown = 'all'
    where means.breakdown <> 'all'
)

{%- for score in ['attainment8', 'progress8'] %}
select {{ kpi_columns('KPI03', score ~ '_mean', 'mean') }}
from (select *, null as numerator, {{ score }}_pupils as denominator, {{ score }}_mean as value from means)
union all
select {{ kpi_columns('KPI03', score ~ '_gap', 'mean_difference') }}
from (select *, null as numerator, {{ score }}_pupils as denominator, {{ score }}_gap as value from gaps)
{{ 'union all' if not loop.last }}
{%- endfor %}
