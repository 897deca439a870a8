{#-
    KPI 4, NEET: of the 16-17-year-olds known to the council's tracking system in a month (age
    at the 31 August before the academic year of the month), the share not in education,
    employment or training or whose activity is not known (code list post16_activity is_neet,
    is_not_known). Monthly; the annual figure (academic year) is the December, January and
    February figure: numerator and denominator are the sums over those three months, so the
    value is their ratio (the mean of the three monthly rates weighted by each month's cohort).
    A person with two tracking records in a month counts once: a known activity wins over not
    known, education, employment or training over NEET.
-#}
with activity as (
    select keys.person_key, activity.activity_month, codes.is_neet, codes.is_not_known,
           {{ age_on('cast(left(activity.birth_year_month, 4) as integer)', 'cast(right(activity.birth_year_month, 2) as integer)',
                     "make_date(year(" ~ period_start('academic_year', 'activity.activity_month') ~ "), 8, 31)") }} as age_years
    from {{ ref('stg_education__post16_activity') }} as activity
    inner join {{ ref('post16_activity') }} as codes on codes.code = activity.activity_code
    inner join {{ ref('int_agency_records_keyed') }} as keys
        on keys.entity = 'tracking_id' and keys.record_key = activity.tracking_id
    qualify row_number() over (partition by keys.person_key, activity.activity_month
                               order by codes.is_not_known, codes.is_neet, activity.activity_code) = 1
),

cohort as (
    select * from activity where age_years between 16 and 17
),

winter as (
    select * from cohort where month(activity_month) in (12, 1, 2)
),

{%- set counts = 'count_if(is_neet or is_not_known) as neet_or_not_known, count_if(is_neet) as neet,
                  count_if(is_not_known) as not_known, count(*) as known' %}

counted as (
    select * from ({{ kpi_rollup('cohort', 'activity_month', counts, period_types=('month',)) }})
    union all
    select * from ({{ kpi_rollup('winter', 'activity_month', counts, period_types=('academic_year',)) }})
),

filled as (
    {{ kpi_fill('counted', ['neet_or_not_known', 'neet', 'not_known', 'known'], ('month', 'academic_year')) }}
)

{%- for measure, column in [('neet_or_not_known', 'neet_or_not_known'), ('neet', 'neet'), ('activity_not_known', 'not_known')] %}
select {{ kpi_columns('KPI04', measure, 'percent') }}
from (select *, {{ column }} as numerator, known as denominator, {{ column }} * 100.0 / nullif(known, 0) as value from filled)
{{ 'union all' if not loop.last }}
{%- endfor %}
