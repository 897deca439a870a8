{#- The timeline of every person's events across the agencies (int_person_events_unioned), kept incrementally (macro incremental_diff). -#}
{{ incremental_diff('int_person_events_unioned', 'event_id') }}
