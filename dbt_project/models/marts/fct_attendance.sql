{#- Termly attendance per pupil record (int_attendance_terms_keyed), kept incrementally (macro incremental_diff). -#}
{{ incremental_diff('int_attendance_terms_keyed', 'attendance_id') }}
