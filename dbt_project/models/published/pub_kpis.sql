{#- Every KPI for use outside the partnership (board packs, returns): kpi_values under disclosure control. -#}
{{ disclosure_control(ref('kpi_values')) }}
