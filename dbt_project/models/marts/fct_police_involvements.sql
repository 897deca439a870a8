{#- Police involvements with their crimes (int_police_involvements_keyed), kept incrementally (macro incremental_diff). -#}
{{ incremental_diff('int_police_involvements_keyed', 'involvement_id') }}
