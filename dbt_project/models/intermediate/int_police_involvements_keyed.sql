{#-
    One row per police involvement of a keyed person (victim, suspect, accused, witness) with
    its crime: dates, Home Office offence and its category from the `offence` code list, the
    crime's flags and ward, and the person's age when the crime was committed (birthday taken
    as the 1st of the birth month, see macro age_in_years). Crime columns are null while the
    crime itself has not arrived.
-#}
select
    involvements.involvement_id,
    keys.person_key,
    involvements.crime_ref,
    involvements.role_code,
    crimes.committed_date,
    crimes.recorded_date,
    crimes.offence_code,
    offences.label as offence_label,
    offences.category as offence_category,
    offences.is_violence,
    offences.is_most_serious_violence,
    crimes.is_knife,
    crimes.is_firearm,
    crimes.is_domestic_abuse,
    crimes.is_serious_youth_violence,
    crimes.is_injury,
    crimes.ward_code,
    {{ age_in_years(birth_month_start('involvements.birth_year_month'), 'crimes.committed_date') }} as age_at_committed_date
from {{ ref('stg_police__involvements') }} as involvements
{{ join_person_key('involvement_id', 'involvements.involvement_id') }}
left join {{ ref('stg_police__crimes') }} as crimes on crimes.crime_ref = involvements.crime_ref
left join {{ ref('offence') }} as offences on offences.code = crimes.offence_code
