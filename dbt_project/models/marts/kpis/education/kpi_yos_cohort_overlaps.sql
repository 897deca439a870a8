{#-
    Strategy section 5.4, the YOS cohort's overlaps with education and care (needs linkage):
    for each financial year, the YOS cohort (children with a substantive outcome, seed
    youth_outcome, dated in the year) and the shares with SEN support, with an EHC plan, with
    either, ever suspended or permanently excluded, and ever looked after, all as at the end of
    the year (31 March: only exclusions and care episodes starting by then count; SEN from the
    latest school enrolment entered by then). Alongside, the same shares of the secondary-school
    pupils on roll on the January census day within the year (int_pupils_on_roll, school phase
    secondary; SEN from the enrolment on roll).
-#}
with years as (
    select period_start as year_start, (period_start + interval 1 year - interval 1 day)::date as year_end
    from ({{ kpi_period_spine(('financial_year',)) }})
),

yos_cohort as (
    select distinct keys.person_key, years.year_start, years.year_end
    from {{ ref('stg_yos__offences') }} as offences
    inner join {{ ref('youth_outcome') }} as outcome on outcome.code = offences.outcome_code
    inner join {{ ref('int_agency_records_keyed') }} as keys on keys.entity = 'yot_id' and keys.record_key = offences.yot_id
    inner join years on offences.outcome_date between years.year_start and years.year_end
    where outcome.is_substantive
),

enrolments as (
    select keys.person_key, pupils.entry_date, pupils.school_urn, pupils.sen_provision_code
    from {{ ref('stg_education__pupils') }} as pupils
    inner join {{ ref('int_agency_records_keyed') }} as keys on keys.entity = 'pupil_id' and keys.record_key = pupils.pupil_id
),

yos_sen as (  -- SEN provision of the latest enrolment entered by the end of the year
    select yos_cohort.person_key, yos_cohort.year_start,
           arg_max(enrolments.sen_provision_code, (enrolments.entry_date, enrolments.school_urn)) as sen_provision_code
    from yos_cohort
    inner join enrolments on enrolments.person_key = yos_cohort.person_key and enrolments.entry_date <= yos_cohort.year_end
    group by all
),

secondary_pupils as (
    select on_roll.person_key, years.year_start, years.year_end, on_roll.sen_provision_code, on_roll.age_years
    from {{ ref('int_pupils_on_roll') }} as on_roll
    inner join years on on_roll.academic_year_start = years.year_start + interval 5 month
    where on_roll.school_phase = 'secondary'
),

people as (
    select 'yos_cohort' as population, yos_cohort.person_key, yos_cohort.year_start, yos_cohort.year_end, yos_sen.sen_provision_code,
           {{ age_on('person.birth_year', 'person.birth_month', 'yos_cohort.year_end') }} as age_years
    from yos_cohort
    left join yos_sen using (person_key, year_start)
    left join {{ ref('dim_person') }} as person on person.person_key = yos_cohort.person_key
    union all
    select 'secondary_pupils', person_key, year_start, year_end, sen_provision_code, age_years
    from secondary_pupils
),

exclusions as (
    select keys.person_key, min(exclusions.start_date) as first_exclusion_date
    from {{ ref('stg_education__exclusions') }} as exclusions
    inner join {{ ref('int_agency_records_keyed') }} as keys on keys.entity = 'pupil_id' and keys.record_key = exclusions.pupil_id
    group by all
),

care as (
    select keys.person_key, min(episodes.start_date) as first_care_date
    from {{ ref('stg_social_care__cla_episodes') }} as episodes
    inner join {{ ref('int_agency_records_keyed') }} as keys on keys.entity = 'pers_person_id' and keys.record_key = episodes.person_id
    group by all
),

flagged as (
    select people.*,
           coalesce(people.sen_provision_code = 'K', false) as with_sen_support,
           coalesce(people.sen_provision_code = 'E', false) as with_ehcp,
           coalesce(people.sen_provision_code in ('K', 'E'), false) as with_sen,
           coalesce(exclusions.first_exclusion_date <= people.year_end, false) as ever_suspended_or_excluded,
           coalesce(care.first_care_date <= people.year_end, false) as ever_looked_after
    from people
    left join exclusions using (person_key)
    left join care using (person_key)
),

{%- set populations = ['yos_cohort', 'secondary_pupils'] %}
{%- set flags = ['with_sen', 'with_sen_support', 'with_ehcp', 'ever_suspended_or_excluded', 'ever_looked_after'] %}

counted as (
    {% set aggregates -%}
        {%- for population in populations -%}
        count_if(population = '{{ population }}') as {{ population }}
        {%- for flag in flags %}, count_if(population = '{{ population }}' and {{ flag }}) as {{ population }}_{{ flag }}{% endfor %}
        {{- ',' if not loop.last }}
        {% endfor -%}
    {%- endset %}
    {{ kpi_rollup('flagged', 'year_start', aggregates, period_types=('financial_year',)) }}
),

{%- set counts = [] %}
{%- for population in populations %}{% do counts.append(population) %}{% for flag in flags %}{% do counts.append(population ~ '_' ~ flag) %}{% endfor %}{% endfor %}

filled as (
    {{ kpi_fill('counted', counts, ('financial_year',)) }}
)

select {{ kpi_columns('S5.4', 'yos_cohort', 'count') }}
from (select *, yos_cohort as numerator, null as denominator, yos_cohort as value from filled)
{%- for population in populations %}{% for flag in flags %}
union all
select {{ kpi_columns('S5.4', population ~ '_' ~ flag, 'percent') }}
from (select *, {{ population }}_{{ flag }} as numerator, {{ population }} as denominator,
             {{ population }}_{{ flag }} * 100.0 / nullif({{ population }}, 0) as value from filled)
{%- endfor %}{% endfor %}
