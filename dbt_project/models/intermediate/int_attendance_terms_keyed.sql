{#-
    One row per pupil record, school, academic year and term of the school census's termly
    attendance, with the pupil's person key, the term's dates and the absence measures
    (domain notes, "Persistent absence"): absence rate = (authorised + unauthorised) / possible
    sessions x 100; persistent at 10% or more, severe at 50% or more.
-#}
with attendance as (
    select
        md5(concat_ws('|', attendance.pupil_id, attendance.school_urn, attendance.academic_year, attendance.term_code))
            as attendance_id,
        keys.person_key,
        attendance.school_urn,
        attendance.academic_year,
        attendance.term_code,
        terms.first_day as term_first_day,
        terms.last_day as term_last_day,
        attendance.sessions_possible,
        attendance.sessions_authorised,
        attendance.sessions_unauthorised,
        {{ absence_rate("attendance.sessions_authorised + attendance.sessions_unauthorised", "attendance.sessions_possible") }} as absence_rate
    from {{ ref('stg_education__attendance') }} as attendance
    {{ join_person_key('pupil_id', 'attendance.pupil_id') }}
    left join {{ ref('school_terms') }} as terms
        on terms.academic_year = attendance.academic_year and terms.term = attendance.term_code
)

select
    *,
    coalesce(absence_rate >= 10, false) as is_persistent_absence,
    coalesce(absence_rate >= 50, false) as is_severe_absence
from attendance
